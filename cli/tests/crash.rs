//! A `nook import` killed with SIGKILL leaves a file that passes `check` and
//! holds only whole batches; importing again completes it.

mod support;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

const ROWS: usize = 20_000;
const BATCH: usize = 500;

fn key(i: usize) -> String {
    format!("k{i:06}")
}

#[test]
fn sigkill_during_import_leaves_only_whole_batches() {
    let s = Scratch::new();
    let input = s.path("rows.jsonl");
    let text: String = (0..ROWS)
        .map(|i| {
            format!(
                "{{\"key\":\"{}\",\"value\":{{\"i\":{i},\"pad\":\"{}\"}}}}\n",
                key(i),
                "x".repeat(40)
            )
        })
        .collect();
    write(&input, text);
    let batch = BATCH.to_string();
    let mut killed_mid_import = 0;
    for (round, delay_ms) in [300u64, 60, 10].into_iter().enumerate() {
        let db = s.path(&format!("round{round}.nook"));
        let mut child = command()
            .args([&db, "import", &input, "--batch-size", &batch])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the first commit to reach the file, then a little more.
        let start = Instant::now();
        while std::fs::metadata(&db).map_or(0, |m| m.len()) == 0
            && start.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let check = run(&[&db, "check"]);
        assert!(check.ok().starts_with("ok: "), "round {round}: {check:?}");
        let count: usize = run(&[&db, "count"]).ok().parse().unwrap();
        assert_eq!(
            count % BATCH,
            0,
            "round {round}: {count} rows is not whole batches of {BATCH}"
        );
        // The rows present are exactly the first `count` of the input.
        let keys = sorted(run(&[&db, "keys"]).ok());
        let expected: Vec<String> = (0..count).map(key).collect();
        assert!(
            keys == expected,
            "round {round}: the rows present are not the first {count}"
        );
        if !finished && count < ROWS {
            killed_mid_import += 1;
            if killed_mid_import == 1 {
                // Running the import again completes it.
                run(&[&db, "import", &input, "--batch-size", &batch]).ok();
                assert_eq!(run(&[&db, "count"]).ok(), ROWS.to_string());
            }
        }
    }
    assert!(
        killed_mid_import > 0,
        "every import finished before the kill; make the input larger"
    );
}
