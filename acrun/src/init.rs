//! The pod's pid 1 (`acrun init`): reads the plan, builds every app's root, runs the
//! pre-start handlers, starts all apps at once, reaps, forwards stop signals, records each
//! app's exit status, runs post-stop handlers, and exits with the first failing app's code.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result, io_err};
use crate::mounts::{self, Entry};
use crate::plan::{self, AppPlan, Event, NetMode, Plan};
use crate::sys;

/// fd on which init reads its plan.
pub const PLAN_FD: i32 = 3;
/// fd on which init writes its events.
pub const EVENT_FD: i32 = 4;

const SIGNALS: &[libc::c_int] = &[
    libc::SIGCHLD,
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
];

extern "C" fn noop(_: libc::c_int) {}

/// Runs init; returns its exit code.
pub fn main() -> i32 {
    // SAFETY: the supervisor passes these two fds to init and nothing else owns them.
    let (plan_in, mut events) =
        unsafe { (File::from_raw_fd(PLAN_FD), File::from_raw_fd(EVENT_FD)) };
    let _ = sys::prctl(libc::PR_SET_DUMPABLE, 0, 0);
    for fd in [PLAN_FD, EVENT_FD] {
        // SAFETY: fcntl on our own fds; the apps must not inherit them.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    let plan: Plan = match plan::recv(&mut BufReader::new(plan_in)) {
        Ok(Some(p)) => p,
        Ok(None) => return crate::EXIT_ACRUN_FAILURE.into(),
        Err(e) => {
            let _ = plan::send(
                &mut events,
                &Event::Failed {
                    message: format!("reading the plan: {e}"),
                },
            );
            return crate::EXIT_ACRUN_FAILURE.into();
        }
    };
    match run(&plan, &mut events) {
        Ok(code) => code,
        Err(e) => {
            let _ = plan::send(
                &mut events,
                &Event::Failed {
                    message: e.to_string(),
                },
            );
            // Anything already started goes down with us (we are the namespace's pid 1).
            crate::EXIT_ACRUN_FAILURE.into()
        }
    }
}

fn lo_up() -> Result<()> {
    // SAFETY: an ioctl on a fresh socket with a zeroed, NUL-terminated ifreq.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(io_err("socket")(std::io::Error::last_os_error()));
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let mut r = libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req);
        if r == 0 {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            r = libc::ioctl(s, libc::SIOCSIFFLAGS, &req);
        }
        let e = std::io::Error::last_os_error();
        libc::close(s);
        if r < 0 {
            return Err(io_err("bringing lo up")(e));
        }
    }
    Ok(())
}

fn command(app: &AppPlan, argv: &[String], entry: Entry) -> Command {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .envs(app.env.iter().map(|(k, v)| (k, v)));
    // SAFETY: the closure only makes system calls on data prepared before fork.
    unsafe {
        cmd.pre_exec(move || entry.enter());
    }
    cmd
}

fn spawn(app: &AppPlan, argv: &[String], what: &str) -> Result<u32> {
    let entry = Entry::new(app)?;
    let child = command(app, argv, entry)
        .spawn()
        .map_err(|e| Error::Invalid(format!("app {}: {what} {}: {e}", app.name, argv[0])))?;
    Ok(child.id())
}

fn wait_pid(pid: u32) -> i32 {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid int.
        let r = unsafe { libc::waitpid(pid as i32, &mut status, 0) };
        if r == pid as i32 {
            return sys::shell_status(status);
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 255;
        }
    }
}

fn record(app: &AppPlan, status: i32) {
    let _ = appc::fsutil::atomic_write(app.dir.join("exit"), format!("{status}\n").as_bytes());
}

fn run(plan: &Plan, events: &mut File) -> Result<i32> {
    let set = sys::block_signals(SIGNALS).map_err(io_err("blocking signals"))?;
    for &s in SIGNALS {
        // Pid 1 only receives signals it handles; a no-op handler plus the block makes them
        // queue for sigtimedwait.
        // SAFETY: installing a trivial handler.
        unsafe { libc::signal(s, noop as *const () as libc::sighandler_t) };
    }
    sys::mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
    .map_err(io_err("making / private"))?;
    sys::sethostname(&plan.hostname).map_err(io_err("sethostname"))?;
    if plan.net == NetMode::None {
        lo_up()?;
    }
    for (k, v) in &plan.sysctls {
        let p = Path::new("/proc/sys").join(k.replace('.', "/"));
        std::fs::write(&p, v).map_err(io_err(format!("sysctl {k}")))?;
    }
    let shm = plan.pod_dir.join("shm");
    std::fs::create_dir_all(&shm).map_err(io_err("mkdir shm"))?;
    sys::mount(
        Some(Path::new("shm")),
        &shm,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=1777,size=65536k"),
    )
    .map_err(io_err("mount the pod's /dev/shm"))?;
    for app in &plan.apps {
        mounts::setup_app(plan, app, &shm)?;
    }
    for app in &plan.apps {
        if let Some(h) = &app.pre_start {
            let pid = spawn(app, h, "pre-start")?;
            let st = wait_pid(pid);
            if st != 0 {
                return Err(Error::Invalid(format!(
                    "app {}: pre-start handler exited with {st}",
                    app.name
                )));
            }
        }
    }
    let mut live: HashMap<i32, usize> = HashMap::new();
    for (i, app) in plan.apps.iter().enumerate() {
        let pid = spawn(app, &app.exec, "exec")?;
        live.insert(pid as i32, i);
    }
    let _ = plan::send(events, &Event::Started);
    let mut first_failure: Option<i32> = None;
    let mut kill_at: Option<Instant> = None;
    while !live.is_empty() {
        let timeout = kill_at
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        match sys::wait_signal(&set, timeout.as_millis() as u64) {
            Some(libc::SIGCHLD) | None => {}
            Some(_) if kill_at.is_none() => {
                for &pid in live.keys() {
                    let _ = sys::kill(pid, libc::SIGTERM);
                }
                kill_at = Some(Instant::now() + Duration::from_millis(plan.grace_ms));
            }
            Some(_) => {}
        }
        if kill_at.is_some_and(|t| Instant::now() >= t) {
            let _ = sys::kill(-1, libc::SIGKILL);
        }
        while let Some((pid, status)) = sys::reap_any() {
            if let Some(i) = live.remove(&pid) {
                let app = &plan.apps[i];
                record(app, status);
                if status != 0 && first_failure.is_none() {
                    first_failure = Some(status);
                }
                let _ = plan::send(
                    events,
                    &Event::AppExited {
                        app: app.name.clone(),
                        status,
                    },
                );
            }
        }
    }
    // Whatever the apps left behind (daemons, orphans) stops with them.
    let _ = sys::kill(-1, libc::SIGKILL);
    while sys::reap_any().is_some() {}
    for app in &plan.apps {
        if let Some(h) = &app.post_stop {
            match spawn(app, h, "post-stop") {
                Ok(pid) => {
                    let st = wait_pid(pid);
                    if st != 0 {
                        eprintln!(
                            "acrun: app {}: post-stop handler exited with {st}",
                            app.name
                        );
                    }
                }
                Err(e) => eprintln!("acrun: {e}"),
            }
        }
    }
    Ok(first_failure.unwrap_or(0))
}
