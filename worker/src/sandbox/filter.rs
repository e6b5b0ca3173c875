//! Builds and installs the seccomp filters. Anything not matched is allowed; matches fail with
//! an errno instead of killing the process, so a refusal shows up as a readable error:
//!
//! - the calls of [`super::syscalls`] fail with EPERM, and so does `clone` asked for a new
//!   namespace (the same thing as the refused `unshare`);
//! - signals, resource limits and scheduling may only target the worker itself (another
//!   worker runs as the same uid), else EPERM;
//! - `clone3` fails with ENOSYS: its flags sit in memory a filter cannot read, and libc then
//!   falls back to `clone`, whose flags it can;
//! - on x86_64, every x32 call fails with EPERM: x32 shares the x86_64 audit architecture but
//!   numbers its calls from bit 30, past every number of the deny list.
//!
//! A call from any other architecture (i386 through `int 0x80`) kills the process.
//! Each filter is installed with TSYNC, so it covers every thread of the process.

use nix::libc;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// The `clone` flags that create a namespace. CLONE_NEWTIME only exists for `clone3` (its bit
/// is the exit signal for `clone`).
const NAMESPACE_FLAGS: [u64; 7] = [
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWCGROUP as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
];

/// The errno of a refusal.
const EPERM: u32 = libc::EPERM as u32;

/// Installs every filter on every thread of the process. no_new_privs must be set already.
pub fn install() -> Result<(), seccompiler::Error> {
    for program in programs()? {
        seccompiler::apply_filter_all_threads(&program)?;
    }
    Ok(())
}

/// The filters for the architecture this binary was built for.
fn programs() -> Result<Vec<BpfProgram>, seccompiler::Error> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)?;
    let mut programs = vec![
        deny_list(arch)?,
        clone3_unsupported(arch)?,
        only_itself(arch, std::process::id())?,
    ];
    programs.extend(x32_refused());
    Ok(programs)
}

/// The deny list and namespace-creating `clone`, answered EPERM.
fn deny_list(arch: TargetArch) -> Result<BpfProgram, seccompiler::Error> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = super::syscalls::denied()
        .map(|number| (number, Vec::new()))
        .collect();
    let namespace_rules = NAMESPACE_FLAGS
        .iter()
        .map(|&flag| {
            let condition = SeccompCondition::new(
                0,
                SeccompCmpArgLen::Qword,
                SeccompCmpOp::MaskedEq(flag),
                flag,
            )?;
            SeccompRule::new(vec![condition])
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, namespace_rules);
    refusing(rules, arch, EPERM)
}

/// A condition on the first argument, a 32-bit pid.
fn pid_arg(op: SeccompCmpOp, pid: u32) -> Result<SeccompCondition, seccompiler::Error> {
    Ok(SeccompCondition::new(
        0,
        SeccompCmpArgLen::Dword,
        op,
        u64::from(pid),
    )?)
}

/// Calls that act on a process are refused unless they name the worker itself (`pid`, or 0
/// for "this process"): other workers share its uid, so the kernel alone would let it signal
/// them or lower their limits.
fn only_itself(arch: TargetArch, pid: u32) -> Result<BpfProgram, seccompiler::Error> {
    let not_me_nor_zero = || -> Result<Vec<SeccompRule>, seccompiler::Error> {
        Ok(vec![SeccompRule::new(vec![
            pid_arg(SeccompCmpOp::Ne, pid)?,
            pid_arg(SeccompCmpOp::Ne, 0)?,
        ])?])
    };
    let not_me = || -> Result<Vec<SeccompRule>, seccompiler::Error> {
        Ok(vec![SeccompRule::new(vec![pid_arg(
            SeccompCmpOp::Ne,
            pid,
        )?])?])
    };
    let rules = BTreeMap::from([
        (libc::SYS_kill, not_me_nor_zero()?),
        (libc::SYS_prlimit64, not_me_nor_zero()?),
        (libc::SYS_tgkill, not_me()?),
        (libc::SYS_tkill, Vec::new()),
        (libc::SYS_rt_sigqueueinfo, not_me()?),
        (libc::SYS_rt_tgsigqueueinfo, not_me()?),
        (libc::SYS_pidfd_open, Vec::new()),
        (libc::SYS_pidfd_send_signal, Vec::new()),
        (libc::SYS_setpriority, Vec::new()),
        (libc::SYS_ioprio_set, Vec::new()),
        (libc::SYS_sched_setaffinity, not_me_nor_zero()?),
        (libc::SYS_sched_setscheduler, Vec::new()),
        (libc::SYS_sched_setparam, Vec::new()),
        (libc::SYS_sched_setattr, Vec::new()),
        (libc::SYS_migrate_pages, Vec::new()),
        (libc::SYS_move_pages, not_me_nor_zero()?),
    ]);
    refusing(rules, arch, EPERM)
}

/// `clone3`, answered ENOSYS.
fn clone3_unsupported(arch: TargetArch) -> Result<BpfProgram, seccompiler::Error> {
    refusing(
        BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
        arch,
        libc::ENOSYS as u32,
    )
}

/// A filter that answers `errno` to every call matching `rules` and allows the rest.
fn refusing(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    arch: TargetArch,
    errno: u32,
) -> Result<BpfProgram, seccompiler::Error> {
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno),
        arch,
    )?;
    Ok(filter.try_into()?)
}

/// Every x32 call (number with bit 30 set), answered EPERM. Calls of another architecture
/// never carry that bit, and the deny-list filter kills them anyway.
#[cfg(target_arch = "x86_64")]
fn x32_refused() -> Option<BpfProgram> {
    use seccompiler::sock_filter;

    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    /// Where `struct seccomp_data` holds the call number.
    const NR_OFFSET: u32 = 0;
    const fn statement(code: u32, k: u32) -> sock_filter {
        sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        }
    }
    Some(vec![
        statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR_OFFSET),
        sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: X32_SYSCALL_BIT,
        },
        statement(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ERRNO | EPERM),
        statement(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ])
}

/// No x32 on other architectures.
#[cfg(not(target_arch = "x86_64"))]
fn x32_refused() -> Option<BpfProgram> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_build_for_this_architecture() {
        let programs = programs().unwrap();
        assert!(programs.iter().all(|program| !program.is_empty()));
    }
}
