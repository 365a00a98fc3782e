//! What the timing examples share: the process's CPU time and the raw
//! little-endian `f64` files they read.

/// CPU seconds (user + system, all threads) used by this process so far,
/// from `/proc/self/stat`; 0 where unavailable. With other jobs on the
/// machine this is steadier than wall time.
pub fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The little-endian `f64` values of the file at `path`.
pub fn read_f64(path: &str) -> Option<Vec<f64>> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect(),
    )
}
