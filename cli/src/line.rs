//! The syntax of a REPL or batch-mode line, shared by both.
//!
//! A line is a command word and its arguments separated by spaces; a line
//! whose first word starts with `#` is a comment. A key with
//! spaces is written as a JSON string (`get "my key"`) or in single quotes.
//! For `put`, `insert` and `update` the value is the rest of the line after
//! the key, taken as is (so JSON needs no quoting), and [`needs_more`] tells
//! the caller to keep reading lines while its brackets are open. The words
//! then go through the same clap grammar as the command line ([`ReplLine`]).

use crate::args::{self, ReplCommand, ReplLine};
use crate::commands::{print_line, Session};
use crate::error::{CliError, CliResult};
use crate::json;
use clap::Parser;
use std::io::Write;

/// Commands whose last argument is the rest of the line.
const REST_OF_LINE: [&str; 4] = ["put", "insert", "update", "echo"];

/// What the caller does after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Exit,
}

/// Splits off the first word of `text`: (word, rest).
fn first_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// Reads one argument at the start of `text` (after spaces): a bare word, a
/// JSON string literal or a single-quoted literal. Returns (argument, rest).
fn next_arg(text: &str) -> CliResult<Option<(String, &str)>> {
    let text = text.trim_start();
    match text.chars().next() {
        None => Ok(None),
        Some('"') => {
            let end = string_end(text)
                .ok_or_else(|| CliError::usage("a quoted argument is not closed (missing \")"))?;
            let arg = match json::parse(&text[..end]) {
                Ok(v) => v.as_text().unwrap_or_default(),
                Err(e) => {
                    return Err(CliError::usage(format!(
                        "a quoted argument is not a valid JSON string: {e}"
                    )))
                }
            };
            Ok(Some((arg, &text[end..])))
        }
        Some('\'') => {
            let end = text[1..]
                .find('\'')
                .ok_or_else(|| CliError::usage("a quoted argument is not closed (missing ')"))?;
            Ok(Some((text[1..end + 1].to_string(), &text[end + 2..])))
        }
        Some(_) => {
            let (word, rest) = first_word(text);
            Ok(Some((word.to_string(), rest)))
        }
    }
}

/// The byte after the closing quote of the JSON string at the start of `text`.
fn string_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Splits a line into clap words, keeping a rest-of-line value whole.
pub fn split(line: &str) -> CliResult<Vec<String>> {
    let (command, mut rest) = first_word(line);
    if command.is_empty() || command.starts_with('#') {
        return Ok(Vec::new());
    }
    let mut words = vec![command.to_string()];
    if REST_OF_LINE.contains(&command) {
        if command != "echo" {
            if let Some((key, after)) = next_arg(rest)? {
                words.push(key);
                rest = after;
            }
        }
        let value = rest.trim();
        if !value.is_empty() {
            words.push(value.to_string());
        }
        return Ok(words);
    }
    while let Some((word, after)) = next_arg(rest)? {
        words.push(word);
        rest = after;
    }
    Ok(words)
}

/// Whether `text` is a value command whose JSON value still has open
/// brackets, so the next line continues it.
pub fn needs_more(text: &str) -> bool {
    let (command, rest) = first_word(text);
    if !REST_OF_LINE.contains(&command) || command == "echo" {
        return false;
    }
    let value = match next_arg(rest) {
        Ok(Some((_, value))) => value,
        _ => return false,
    };
    let (mut depth, mut in_string, mut escaped) = (0i64, false, false);
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '[' | '{' if !in_string => depth += 1,
            ']' | '}' if !in_string => depth -= 1,
            _ => {}
        }
    }
    // A string cannot span lines in JSON: let the parser report it.
    depth > 0 && !in_string
}

/// Parses and runs one (possibly multi-line) REPL or batch line.
pub fn execute(session: &mut Session, line: &str, out: &mut dyn Write) -> CliResult<Flow> {
    let words = split(line)?;
    let Some(command) = words.first() else {
        return Ok(Flow::Continue);
    };
    if !args::repl_command_names().contains(command) {
        return Err(CliError::usage(format!(
            "unknown command {command:?}; type help for the list of commands"
        )));
    }
    let parsed = match ReplLine::try_parse_from(&words) {
        Ok(parsed) => parsed,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            print_line(out, e.to_string().trim_end())?;
            return Ok(Flow::Continue);
        }
        Err(e) => {
            return Err(CliError::usage(format!(
                "{command}: {} (type help {command})",
                clap_message(&e)
            )))
        }
    };
    match parsed.command {
        ReplCommand::Db(cmd) => session.run(&cmd, out)?,
        ReplCommand::Begin { mode } => session.begin(mode.as_deref() == Some("read"), out)?,
        ReplCommand::Commit => session.commit(out)?,
        ReplCommand::Rollback => session.rollback(out)?,
        ReplCommand::Help { command } => {
            let text = args::repl_help(command.as_deref()).map_err(CliError::usage)?;
            print_line(out, text.trim_end())?;
        }
        ReplCommand::Exit => return Ok(Flow::Exit),
        ReplCommand::Echo { text } => print_line(out, text.as_deref().unwrap_or(""))?,
    }
    Ok(Flow::Continue)
}

/// The gist of a clap error on one line, without its usage block.
pub fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let body = text.split("\n\nUsage:").next().unwrap_or(&text);
    let body = body.strip_prefix("error: ").unwrap_or(body);
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_rest_of_the_line() {
        assert_eq!(
            split("put k {\"a\": [1, 2]}").unwrap(),
            ["put", "k", "{\"a\": [1, 2]}"]
        );
        assert_eq!(
            split("  put   \"my key\"   -5 ").unwrap(),
            ["put", "my key", "-5"]
        );
        assert_eq!(
            split("put 'a b' \"x y\"").unwrap(),
            ["put", "a b", "\"x y\""]
        );
        assert_eq!(split("put k").unwrap(), ["put", "k"]);
        assert_eq!(
            split("echo  hello  world ").unwrap(),
            ["echo", "hello  world"]
        );
        assert_eq!(
            split("keys --prefix \"a\\tb\"").unwrap(),
            ["keys", "--prefix", "a\tb"]
        );
        assert_eq!(split("get \"\"").unwrap(), ["get", ""]);
        assert!(split("get \"abc").is_err());
        assert!(split("").unwrap().is_empty());
        assert!(split("  # a comment").unwrap().is_empty());
    }

    #[test]
    fn open_brackets_continue_the_value() {
        assert!(needs_more("put k {\"a\": ["));
        assert!(needs_more("put k [1,\n 2"));
        assert!(!needs_more("put k [1,\n 2]"));
        assert!(!needs_more("put k \"[\""));
        assert!(!needs_more("put k \"[ unterminated"));
        assert!(!needs_more("get {"));
        assert!(!needs_more("put k ]]"));
        assert!(needs_more("insert \"a key\" {\"x\": \"}\\\"\""));
    }
}
