/* The file the compiler compiles under hardmem. */
#include <stdio.h>

struct point { int x, y; };

static int dist2(struct point a, struct point b) { return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y); }

int main(void)
{
    struct point p[8];
    for (int i = 0; i < 8; i++)
        p[i] = (struct point){ i * 3 % 7, i * 5 % 11 };
    int best = 1 << 30;
    for (int i = 0; i < 8; i++)
        for (int j = i + 1; j < 8; j++)
            if (dist2(p[i], p[j]) < best)
                best = dist2(p[i], p[j]);
    printf("closest pair: %d\n", best);
    return 0;
}
