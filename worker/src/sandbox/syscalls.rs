//! The system calls the worker never makes and an intruder would want. The worker only talks
//! over the sockets it opens and the pipes it was given, so every call that opens, creates,
//! links, renames, removes or re-permissions a path is refused, with running programs,
//! changing identity, reaching into other processes, namespaces and mounts, and kernel
//! administration. x86_64 also has the older path-based calls; aarch64 only the `*at` forms.

use nix::libc;

/// `fchmodat2`: numbered alike on every architecture (it is newer than the unified syscall
/// table), but not yet named by `libc` for aarch64.
const SYS_FCHMODAT2: i64 = 452;

/// Refused on every architecture.
const PORTABLE: &[i64] = &[
    // Paths: open, create, link, rename, remove, change owner or mode.
    libc::SYS_openat,
    libc::SYS_openat2,
    libc::SYS_name_to_handle_at,
    libc::SYS_open_by_handle_at,
    libc::SYS_mknodat,
    libc::SYS_symlinkat,
    libc::SYS_linkat,
    libc::SYS_unlinkat,
    libc::SYS_renameat,
    libc::SYS_renameat2,
    libc::SYS_mkdirat,
    libc::SYS_truncate,
    libc::SYS_fchmodat,
    SYS_FCHMODAT2,
    libc::SYS_fchownat,
    // io_uring performs file operations without passing through seccomp.
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    // Running programs.
    libc::SYS_execve,
    libc::SYS_execveat,
    // Other processes.
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_pidfd_getfd,
    // Namespaces and mounts.
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_mount_setattr,
    // Identity.
    libc::SYS_setuid,
    libc::SYS_setgid,
    libc::SYS_setreuid,
    libc::SYS_setregid,
    libc::SYS_setresuid,
    libc::SYS_setresgid,
    libc::SYS_setfsuid,
    libc::SYS_setfsgid,
    libc::SYS_setgroups,
    // Kernel and system administration.
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_reboot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_acct,
    libc::SYS_settimeofday,
    libc::SYS_clock_settime,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_sethostname,
    libc::SYS_setdomainname,
    libc::SYS_quotactl,
    libc::SYS_quotactl_fd,
    libc::SYS_lookup_dcookie,
    libc::SYS_syslog,
    // Kernel interfaces with a long exploit record.
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_userfaultfd,
    // Watching files.
    libc::SYS_fanotify_init,
    libc::SYS_inotify_init1,
];

/// The older forms, which exist on x86_64 only.
#[cfg(target_arch = "x86_64")]
const LEGACY: &[i64] = &[
    libc::SYS_open,
    libc::SYS_creat,
    libc::SYS_mknod,
    libc::SYS_symlink,
    libc::SYS_link,
    libc::SYS_unlink,
    libc::SYS_rename,
    libc::SYS_mkdir,
    libc::SYS_rmdir,
    libc::SYS_chmod,
    libc::SYS_chown,
    libc::SYS_lchown,
    libc::SYS_uselib,
    libc::SYS_inotify_init,
    libc::SYS_iopl,
    libc::SYS_ioperm,
];

#[cfg(not(target_arch = "x86_64"))]
const LEGACY: &[i64] = &[];

/// Every refused system call number of this architecture.
pub fn denied() -> impl Iterator<Item = i64> {
    PORTABLE.iter().chain(LEGACY).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_number_is_listed_once() {
        let all: Vec<i64> = denied().collect();
        let unique: HashSet<i64> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len());
    }

    #[test]
    fn the_calls_the_check_relies_on_are_refused() {
        let all: HashSet<i64> = denied().collect();
        assert!(all.contains(&libc::SYS_openat));
        assert!(all.contains(&libc::SYS_execve));
    }
}
