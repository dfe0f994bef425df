// A C++ program using the standard containers (new/delete through malloc).
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

int main()
{
    std::map<std::string, std::vector<int>> m;
    for (int i = 0; i < 50000; i++)
        m[std::to_string(i * 7919 % 100003)].push_back(i);
    std::vector<std::unique_ptr<std::string>> v;
    for (int i = 0; i < 20000; i++)
        v.emplace_back(new std::string(static_cast<size_t>(i % 300), 'x'));
    size_t total = 0;
    for (auto &s : v)
        total += s->size();
    std::printf("%zu %s %zu\n", m.size(), m.begin()->first.c_str(), total);
    return 0;
}
