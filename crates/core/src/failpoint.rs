//! Failpoints for crash and race tests: named places in multi-step writes
//! where a test can freeze the process (then kill it) or delay it (to let
//! a competitor pass), proving the write is atomic.

/// When the environment variable `PAI_FAILPOINT` is `name`, prints
/// `failpoint NAME reached` to stderr and sleeps forever, so that a test can
/// kill the process at exactly this point; when it is `name=MS`, prints the
/// same and goes on after MS milliseconds. Otherwise does nothing.
pub fn failpoint(name: &str) {
    let Some(value) = std::env::var_os("PAI_FAILPOINT") else {
        return;
    };
    let value = value.to_string_lossy();
    let (point, delay) = match value.split_once('=') {
        Some((p, ms)) => (p, ms.parse::<u64>().ok()),
        None => (&*value, None),
    };
    if point != name {
        return;
    }
    eprintln!("failpoint `{name}` reached");
    match delay {
        Some(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
        None => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
    }
}
