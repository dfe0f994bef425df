/* With on_error=report the program goes on after a report and the bad call
 * changes nothing. */
#include <stdlib.h>
#include <unistd.h>
int main(void)
{
    char *volatile p = malloc(24);
    free(p);
    free(p);
    char *volatile q = malloc(24);
    free(q);
    write(1, "still running\n", 14);
    return 0;
}
