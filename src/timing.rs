//! How long each phase takes, printed when `HINDSIGHT_TIMINGS` is set. A ground-floor module:
//! every phase may time itself without knowing which command runs it.

/// Prints how long a phase took when `HINDSIGHT_TIMINGS` is set: the numbers profiling and
/// docs/performance.md start from.
pub fn timed<T>(phase: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let cpu_before = cpu_seconds();
    let value = f();
    if std::env::var_os("HINDSIGHT_TIMINGS").is_some() {
        let wall = started.elapsed().as_secs_f64();
        let mut notes = Vec::new();
        if let Some(mb) = resident_mb() {
            notes.push(format!("RSS {mb} MB"));
        }
        // CPU time over wall time: how many cores the phase kept busy.
        if let (Some(after), Some(before)) = (cpu_seconds(), cpu_before)
            && wall > 0.05
        {
            notes.push(format!("{:.1} cores", (after - before) / wall));
        }
        let notes = match notes.is_empty() {
            true => String::new(),
            false => format!("  ({})", notes.join(", ")),
        };
        eprintln!("timing: {phase:<8} {:>8.1} ms{notes}", wall * 1e3);
    }
    value
}

/// The process's CPU time so far (user and system), where the system says (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum::<Option<f64>>()?;
    // Clock ticks are a hundredth of a second on every Linux this runs on.
    Some(ticks / 100.0)
}

/// The process's resident memory now, where the system says (Linux).
fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
