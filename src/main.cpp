// Placeholder entry point; replaced by the command dispatcher.
#include <cstdio>
#include "version.h"
int main() {
    std::printf("%s %s\n", pgark::kProjectName, pgark::kVersion);
    return 0;
}
