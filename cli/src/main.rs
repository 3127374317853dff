//! `nook`: the command-line tool (being built).
fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| ":memory:".into());
    let db = if path == ":memory:" { nook::Database::memory() } else { nook::Database::open(&path).expect("open") };
    println!("nook: {} keys in {path}", db.len());
}
