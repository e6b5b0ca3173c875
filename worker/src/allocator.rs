//! Keeps the C allocator from hoarding memory: message bodies are large, short-lived buffers
//! allocated on several threads, which glibc by default serves from growing per-thread arenas
//! and a self-raising mmap threshold. Bodies then go straight to mmap and back to the system.

/// Above this, allocations are mmapped and returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 128 * 1024;
/// At most this many malloc arenas for all threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENA_MAX: i32 = 2;

/// Applies the settings; call once at the start of a binary, before threads start.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before any thread exists.
    unsafe {
        nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, ARENA_MAX);
    }
}
