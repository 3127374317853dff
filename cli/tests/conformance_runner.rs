//! The conformance runner itself: it passes what should pass, fails what
//! should fail, and skips (never passes) what it cannot express.

#[path = "../conformance/nkc.rs"]
mod nkc;
#[path = "../conformance/runner.rs"]
mod runner;

use std::path::Path;

const CASES: &str = "\
case values_and_errors
open memory
put 6b6579 182a => OK
insert 6b6579 01 => ALREADY_EXISTS
get 6b6579 => OK 182a
put \"\" 01 => INVALID_ARGUMENT
put 61 \"\" => INVALID_VALUE
put 61*4097 01 => KEY_TOO_LARGE
update 62 01 => NOT_FOUND
delete 6b6579 => OK true
delete 6b6579 => OK false
count => OK 0
end

case files_reopen_and_scan tags=file
open file
put 61 01
put 6161 02
batch put 62 03 put \"\" 04 => INVALID_ARGUMENT
reopen
count => OK 2
scan => OK 61=01 6161=02
scan 6161 => OK 6161=02
contains 62 => OK false
reopen read_only
put 63 01 => READ_ONLY
begin_write t => READ_ONLY
begin_read r
r: get 61 => OK 01
end r
check => OK
end

case one_transaction tags=txn
open memory
begin_write t
t: put 61 01
t: batch put 62 02 put 63 \"\" => INVALID_VALUE
t: contains 62 => OK false
commit t
get 61 => OK 01
end

case two_transactions tags=txn
open memory
begin_write t
begin_read r => BUSY|OK
end

case too_big tags=large
open memory
put 61 00*2000000 => OK
end

case wrong_result
open memory
put 61 01
get 61 => OK 02
end

case wrong_status
open memory
get 61 => OK 01
end
";

#[test]
fn the_runner_passes_fails_and_skips_as_it_should() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cases.nkc"), CASES).unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "not a case file").unwrap();
    let totals = runner::run_dir(Path::new(env!("CARGO_BIN_EXE_nook")), dir.path(), true).unwrap();
    assert_eq!(
        totals,
        runner::Totals {
            passed: 3,
            failed: 2,
            skipped: 2
        }
    );
    assert_eq!(
        runner::summary(&totals),
        "cli: 3 passed, 2 failed, 2 skipped"
    );
}

#[test]
fn a_broken_case_file_counts_as_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.nkc"),
        "case unterminated\nopen memory\n",
    )
    .unwrap();
    let totals = runner::run_dir(Path::new(env!("CARGO_BIN_EXE_nook")), dir.path(), false).unwrap();
    assert_eq!(totals.failed, 1);
}
