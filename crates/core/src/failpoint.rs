//! Failpoints for crash and race tests: named places in multi-step writes
//! where a test can freeze the process (then kill it) or delay it (to let
//! a competitor pass), proving the write is atomic.

/// When the environment variable `PAI_FAILPOINT` is `name`, prints
/// `failpoint NAME reached` to stderr and sleeps forever, so that a test can
/// kill the process at exactly this point; when it is `name=MS`, prints the
/// same and goes on after MS milliseconds; when it is `name@FILE`, prints
/// the same and goes on once FILE exists (a test lets a competitor finish
/// first, then releases it, whatever the machine's load; at most 10
/// minutes). Otherwise does nothing.
pub fn failpoint(name: &str) {
    // read once per process: some failpoints sit on the scheduler's
    // per-node path, which should not take the environment's lock each time
    static VALUE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let Some(value) = VALUE.get_or_init(|| {
        std::env::var_os("PAI_FAILPOINT").map(|v| v.to_string_lossy().into_owned())
    }) else {
        return;
    };
    let (point, hold) = parse(value);
    if point != name {
        return;
    }
    eprintln!("failpoint `{name}` reached");
    match hold {
        Hold::For(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
        Hold::Until(file) => {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
            while !std::path::Path::new(file).exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        Hold::Forever => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
    }
}

/// How long a reached failpoint holds the process.
#[derive(Debug, PartialEq)]
enum Hold<'a> {
    Forever,
    For(u64),
    Until(&'a str),
}

/// `name`, `name=MS` or `name@FILE`.
fn parse(value: &str) -> (&str, Hold<'_>) {
    if let Some((point, file)) = value.split_once('@') {
        return (point, Hold::Until(file));
    }
    match value.split_once('=') {
        Some((point, ms)) => (point, ms.parse().map_or(Hold::Forever, Hold::For)),
        None => (value, Hold::Forever),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_parse() {
        assert_eq!(parse("export:checked"), ("export:checked", Hold::Forever));
        assert_eq!(
            parse("export:checked=30"),
            ("export:checked", Hold::For(30))
        );
        assert_eq!(
            parse("export:checked@/tmp/go"),
            ("export:checked", Hold::Until("/tmp/go"))
        );
    }
}
