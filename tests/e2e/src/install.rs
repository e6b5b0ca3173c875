//! Where the workspace's binaries are, and how a module instance is installed: the
//! imageroot tree copied into `~/.config` with the built binaries in `bin/`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

/// The built programs the harness runs.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// `imapsync-module` (every step, handler and helper).
    pub module: PathBuf,
    /// `syncctl`.
    pub syncctl: PathBuf,
    /// `imapsync-supervisor`.
    pub supervisor: PathBuf,
    /// `imapsync-worker`, in a directory uid 65534 can reach.
    pub worker: PathBuf,
    /// This crate's `systemctl-standin`.
    pub systemctl_standin: PathBuf,
}

/// The workspace root (`/work/main`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The module's imageroot tree: `$E2E_IMAGEROOT` when set, else the workspace's.
pub fn default_imageroot() -> PathBuf {
    std::env::var_os("E2E_IMAGEROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("imageroot"))
}

/// A temporary copy of [`default_imageroot`], for a test that installs a changed module.
pub fn copy_of_default_imageroot() -> tempfile::TempDir {
    let copy = tempfile::Builder::new()
        .prefix("e2e-imageroot-")
        .tempdir()
        .expect("temporary imageroot");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", default_imageroot().display()))
        .arg(copy.path())
        .status()
        .expect("run cp");
    assert!(status.success(), "copy the imageroot");
    copy
}

/// `target/debug` (or the profile directory the tests were built in): the parent of the
/// `deps` directory holding the running test binary.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the running test");
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The binaries, checked once per test process.
pub fn binaries() -> &'static Binaries {
    static FOUND: OnceLock<Binaries> = OnceLock::new();
    FOUND.get_or_init(|| {
        let target = target_dir();
        let built = |name: &str| -> PathBuf {
            let path = target.join(name);
            assert!(
                path.is_file(),
                "{} is missing: run `cargo build --workspace` before the e2e tests",
                path.display()
            );
            warn_if_stale(&path);
            path
        };
        let module = built("imapsync-module");
        let syncctl = built("syncctl");
        let supervisor = built("imapsync-supervisor");
        let worker = built("imapsync-worker");
        let systemctl_standin = built("systemctl-standin");
        let shared = place_shared(&[&module, &syncctl, &worker]);
        Binaries {
            module: shared.join("imapsync-module"),
            syncctl: shared.join("syncctl"),
            supervisor,
            worker: shared.join("imapsync-worker"),
            systemctl_standin,
        }
    })
}

/// Prints a warning when a crate's sources are newer than its binary.
fn warn_if_stale(binary: &Path) {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else {
        return;
    };
    let root = workspace_root();
    for krate in ["module", "ns8", "supervisor", "worker", "protocol"] {
        if let Some(newest) = newest_file(&root.join(krate).join("src")) {
            if newest > built {
                eprintln!(
                    "e2e: warning: {krate}/src changed after {} was built; run `cargo build --workspace`",
                    binary.display()
                );
                return;
            }
        }
    }
}

/// Age after which a copy of an earlier build is removed (no test run lasts that long).
const STALE_BINARY_COPIES: std::time::Duration = std::time::Duration::from_secs(3 * 3600);

fn newest_file(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_file(&path)
        } else {
            entry.metadata().ok().and_then(|m| m.modified().ok())
        };
        newest = newest.max(time);
    }
    newest
}

/// Links (or copies) the binaries once into a world-readable directory under the temporary
/// directory (the worker runs as uid 65534, which cannot traverse a checkout under /root),
/// keyed by their size and time so the test processes of one build share it; directories
/// of this checkout's earlier builds are removed once stale (another checkout's tests, or a
/// run of this one that began before the build, may be using theirs).
fn place_shared(files: &[&Path]) -> PathBuf {
    let fnv = |text: &str| {
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let checkout = std::fs::canonicalize(workspace_root()).unwrap_or_else(|_| workspace_root());
    let mut key = String::new();
    for file in files {
        let meta = std::fs::metadata(file).expect("built binary");
        let time = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        key.push_str(&format!("{}-{time}-", meta.len()));
    }
    let prefix = format!(
        "imapsync-e2e-bin-{:016x}-",
        fnv(&checkout.to_string_lossy())
    );
    let dir = std::env::temp_dir().join(format!("{prefix}{:016x}", fnv(&key)));
    if !dir.is_dir() {
        // Copies of earlier builds are not needed any more, unless a test run that began
        // before this build may still use them.
        let stale = |entry: &std::fs::DirEntry| {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_BINARY_COPIES)
        };
        for old in std::fs::read_dir(std::env::temp_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            if old.file_name().to_string_lossy().starts_with(&prefix) && stale(&old) {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
    }
    std::fs::create_dir_all(&dir).expect("shared binary directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .expect("chmod shared binary directory");
    for file in files {
        let name = file.file_name().expect("binary name");
        let placed = dir.join(name);
        if placed.is_file() {
            continue;
        }
        let partial = dir.join(format!(
            ".partial-{}-{}",
            std::process::id(),
            name.to_string_lossy()
        ));
        if std::fs::hard_link(file, &partial).is_err() {
            std::fs::copy(file, &partial).expect("copy a binary");
            std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755))
                .expect("chmod a binary");
        }
        std::fs::rename(&partial, &placed).expect("place a binary");
    }
    dir
}

/// Installs the module: `cp -a <imageroot>/. <install_dir>/`, then the module binary and
/// `syncctl` into `<install_dir>/bin/`.
pub fn install_module(imageroot: &Path, install_dir: &Path, binaries: &Binaries) {
    assert!(
        imageroot.is_dir(),
        "{} does not exist: the module's imageroot tree is needed",
        imageroot.display()
    );
    std::fs::create_dir_all(install_dir).expect("install directory");
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", imageroot.display()))
        .arg(install_dir)
        .status()
        .expect("run cp");
    assert!(status.success(), "cp -a {} failed", imageroot.display());
    let bin = install_dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin directory");
    for (source, name) in [
        (&binaries.module, "imapsync-module"),
        (&binaries.syncctl, "syncctl"),
    ] {
        let target = bin.join(name);
        let _ = std::fs::remove_file(&target);
        if std::fs::hard_link(source, &target).is_err() {
            std::fs::copy(source, &target).expect("copy a binary into bin/");
        }
    }
}
