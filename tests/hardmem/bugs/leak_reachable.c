/* Blocks still live at exit that the program can reach are not leaks
 * (leaks=1 succeeds, silently): a list whose head is in .bss, a block only a
 * pointer into its middle leads to, a block held by a TLS variable, a large
 * block held from .data, and one held by a live stack frame (exit() is
 * called from inside the function that holds it). */
#include <stdlib.h>

struct node {
    struct node *next;
    char pad[40];
};

static struct node *list;
static char *inside;
static __thread char *per_thread;
char *from_data = (char *)1;

static void exit_holding(void)
{
    char *volatile held = malloc(33);
    held[0] = 1;
    exit(0);
}

int main(void)
{
    for (int i = 0; i < 3; i++) {
        struct node *n = malloc(sizeof *n);
        n->next = list;
        list = n;
    }
    inside = (char *)malloc(5000) + 2500;
    per_thread = malloc(64);
    from_data = malloc(300000);
    exit_holding();
}
