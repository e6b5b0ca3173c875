//! The confinement `imapsync-worker` applies to itself before it reads any input: no
//! capabilities, no_new_privs, and seccomp filters that refuse file access, running programs,
//! changing identity, reaching into other processes and administering the kernel.

mod capabilities;
pub mod check;
mod filter;
mod syscalls;

/// Why the sandbox could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot drop capabilities: {0}")]
    Capabilities(#[from] caps::errors::CapsError),
    #[error("cannot set no_new_privs: {0}")]
    NoNewPrivs(nix::Error),
    #[error("cannot install the seccomp filter: {0}")]
    Seccomp(#[from] seccompiler::Error),
}

/// Confines the whole process for good. Call it while the process is still single-threaded:
/// capabilities belong to each thread, and only threads started afterwards inherit the empty
/// sets (the filters themselves reach every thread).
pub fn apply() -> Result<(), SandboxError> {
    capabilities::drop_all()?;
    nix::sys::prctl::set_no_new_privs().map_err(SandboxError::NoNewPrivs)?;
    filter::install()?;
    Ok(())
}
