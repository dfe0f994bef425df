/* Two blocks that point at each other and nothing else points at: a leak,
 * reached only from itself (leaks=1). */
#include <stdlib.h>

struct node {
    struct node *other;
};

static __attribute__((noinline)) void make_cycle(void)
{
    struct node *volatile a = malloc(sizeof *a), *volatile b = malloc(sizeof *b);
    a->other = b;
    b->other = a;
    a = b = NULL;
}

int main(void)
{
    make_cycle();
    return 0;
}
