//! Processes read from /proc: those below a process (the app's WebKit helpers), and what
//! `/proc/PID/stat` says of one.

/// `root` and every process descending from it.
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let ppid = stat_fields(pid)
            .and_then(|fields| fields.get(1).cloned())
            .and_then(|v| v.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

/// A process's command name (`/proc/PID/comm`, at most 15 bytes), empty once it is gone.
pub fn command_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The fields of `/proc/PID/stat` after the command name, which is in parentheses and may hold
/// spaces: index 0 is the state (field 3 in proc(5)), 1 the parent's pid, 11 and 12 the user
/// and system CPU time in clock ticks. `None` once the process is gone.
pub fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}
