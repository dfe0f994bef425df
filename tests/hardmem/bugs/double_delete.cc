// C++: operator delete twice on one object (libstdc++'s new/delete call
// malloc/free, so the preloaded checks see them).
int main()
{
    int *volatile p = new int(7);
    delete p;
    delete p;
    return 0;
}
