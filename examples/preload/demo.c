/* A program whose debug build links the checked malloc (see BUILD.bazel). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char *name = malloc(6);
    strcpy(name, "hello");
    if (argc > 1 && !strcmp(argv[1], "bug"))
        name[6] = '!'; /* one byte past the block: reported at free */
    printf("%s\n", name);
    free(name);
    return 0;
}
