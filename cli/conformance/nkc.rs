//! The parser of the conformance case format (`spec/conformance/README.md`):
//! the one place the CLI runner reads `*.nkc` files.

/// One case: a fresh database and its steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub name: String,
    pub tags: Vec<String>,
    /// "file.nkc:12", where the case starts.
    pub place: String,
    pub steps: Vec<Step>,
}

/// One step: `[txn: ] op args... => STATUS[|STATUS] [result]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Line number in the file.
    pub line: usize,
    pub txn: Option<String>,
    pub op: String,
    pub args: Vec<String>,
    /// Acceptable statuses (`OK` when the step has no `=>`).
    pub statuses: Vec<String>,
    /// The expected result text, when given.
    pub result: Option<String>,
}

/// Parses the cases of one file; `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let at = || format!("{file}:{line_no}");
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("case ") {
            if current.is_some() {
                return Err(format!(
                    "{}: a case starts before the previous one ends",
                    at()
                ));
            }
            let mut words = rest.split_whitespace();
            let name = words
                .next()
                .ok_or_else(|| format!("{}: a case needs a name", at()))?;
            let mut tags = Vec::new();
            for word in words {
                let list = word
                    .strip_prefix("tags=")
                    .ok_or_else(|| format!("{}: unexpected {word:?} after the case name", at()))?;
                tags.extend(
                    list.split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                );
            }
            current = Some(Case {
                name: name.to_string(),
                tags,
                place: at(),
                steps: Vec::new(),
            });
        } else if line == "end" {
            cases.push(
                current
                    .take()
                    .ok_or_else(|| format!("{}: end without a case", at()))?,
            );
        } else {
            let case = current
                .as_mut()
                .ok_or_else(|| format!("{}: a step outside a case", at()))?;
            case.steps
                .push(parse_step(line, line_no).map_err(|e| format!("{}: {e}", at()))?);
        }
    }
    match current {
        Some(case) => Err(format!("{file}: case {} is not closed with end", case.name)),
        None => Ok(cases),
    }
}

/// Removes a whole-line comment, or one after a step (" #").
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    }
}

fn parse_step(line: &str, line_no: usize) -> Result<Step, String> {
    let (action, expect) = match line.split_once(" => ") {
        Some((a, e)) => (a, Some(e.trim())),
        None => (line.strip_suffix(" =>").unwrap_or(line), None),
    };
    let mut words: Vec<&str> = action.split_whitespace().collect();
    let txn = match words.first() {
        Some(w) if w.ends_with(':') && w.len() > 1 => {
            let name = w.trim_end_matches(':').to_string();
            words.remove(0);
            Some(name)
        }
        _ => None,
    };
    let (op, args) = words.split_first().ok_or("a step without an operation")?;
    let (statuses, result) = match expect {
        None => (vec!["OK".to_string()], None),
        Some(e) => {
            let (status, result) = match e.split_once(' ') {
                Some((s, r)) => (s, Some(r.trim().to_string())),
                None => (e, None),
            };
            (status.split('|').map(str::to_string).collect(), result)
        }
    };
    if statuses.iter().any(|s| s.is_empty()) {
        return Err("an empty status after =>".into());
    }
    Ok(Step {
        line: line_no,
        txn,
        op: op.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        statuses,
        result,
    })
}

/// The bytes of a byte-string argument: lowercase hex, `""`, or `HEX*N`.
pub fn bytes_arg(arg: &str) -> Result<Vec<u8>, String> {
    if arg == "\"\"" {
        return Ok(Vec::new());
    }
    let (hex, times) = match arg.split_once('*') {
        Some((h, n)) => (
            h,
            n.parse::<usize>()
                .map_err(|_| format!("bad repeat count in {arg:?}"))?,
        ),
        None => (arg, 1),
    };
    if hex.len() % 2 != 0 {
        return Err(format!("{arg:?} has an odd number of hex digits"));
    }
    let unit = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| format!("{arg:?} is not hex")))
        .collect::<Result<Vec<u8>, String>>()?;
    Ok(unit.repeat(times))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "\
# a comment
case insert_refuses_existing_key tags=file,txn
open memory
put 6b6579 182a => OK   # trailing comment
insert 6b6579 01 => ALREADY_EXISTS
t1: get 6b6579 => OK 182a
commit t1 => CLOSED|INVALID_HANDLE
scan 6b => OK 6b6579=182a 6b657a=01
end
";

    #[test]
    fn parses_the_readme_grammar() {
        let cases = parse("x.nkc", EXAMPLE).unwrap();
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!(c.name, "insert_refuses_existing_key");
        assert_eq!(c.tags, ["file", "txn"]);
        assert_eq!(c.place, "x.nkc:2");
        assert_eq!(c.steps[0].op, "open");
        assert_eq!(c.steps[0].statuses, ["OK"]);
        assert_eq!(c.steps[1].args, ["6b6579", "182a"]);
        assert_eq!(c.steps[1].result, None);
        assert_eq!(c.steps[3].txn.as_deref(), Some("t1"));
        assert_eq!(c.steps[3].result.as_deref(), Some("182a"));
        assert_eq!(c.steps[4].statuses, ["CLOSED", "INVALID_HANDLE"]);
        assert_eq!(c.steps[5].result.as_deref(), Some("6b6579=182a 6b657a=01"));
    }

    #[test]
    fn refuses_broken_files() {
        assert!(parse("x", "case a\nopen memory\n")
            .unwrap_err()
            .contains("not closed"));
        assert!(parse("x", "get 00 => OK\n")
            .unwrap_err()
            .contains("outside a case"));
        assert!(parse("x", "end\n").is_err());
        assert!(parse("x", "case a\ncase b\nend\n").is_err());
        assert!(parse("x", "case a junk\nend\n").is_err());
    }

    #[test]
    fn byte_arguments() {
        assert_eq!(bytes_arg("6b6579").unwrap(), b"key");
        assert_eq!(bytes_arg("\"\"").unwrap(), b"");
        assert_eq!(bytes_arg("61*3").unwrap(), b"aaa");
        assert!(bytes_arg("abc").is_err());
        assert!(bytes_arg("zz").is_err());
        assert!(bytes_arg("61*x").is_err());
    }
}
