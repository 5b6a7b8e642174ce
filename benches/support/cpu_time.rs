//! CPU time of the running process, shared by the benchmark programs: on a shared machine
//! wall time measures the neighbours as much as the code.

/// User plus system CPU time of this process so far, from /proc (Linux); 0 elsewhere.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 (from 0) after the name;
    // Linux counts them in ticks of 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}
