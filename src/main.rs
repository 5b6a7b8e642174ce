// jemalloc rather than the system allocator: a build holds every document while it makes
// millions of short-lived strings for its pages, and glibc's allocator slows down under
// such a heap (docs/performance.md).
// jemalloc does not build with Windows' MSVC toolchain; there the system allocator serves.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(hindsight::cli::main());
}
