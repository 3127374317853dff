//! Checks the Dart bindings against `nook.h`, reading the Dart source itself
//! (not regenerating it): every function of the header has an `@Native`
//! external and a `DynamicLibrary` lookup whose native signature is the one the
//! header declares, whose Dart signature matches that native signature, and
//! whose `isLeaf` flag is the one allowed for it; and no binding names a symbol
//! the header lacks.

use crate::bindings::Signature;
use crate::ffi_types::prefixed;
use crate::header::Header;

/// One binding found in the Dart source.
#[derive(Debug)]
struct Found {
    symbol: String,
    native: String,
    dart_ret: Option<String>,
    dart_params: Vec<String>,
    dart_fn: Option<String>,
    leaf: bool,
}

/// Removes whitespace so spellings compare equal.
fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Reads from just after an opening `<` to its matching `>`.
fn angle_block(s: &str) -> Option<(&str, &str)> {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[..i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at commas outside `<>` and `()`.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// `symbol: 'nook_x', isLeaf: true)` -> ("nook_x", true, rest after `)`).
fn annotation_args(s: &str) -> Option<(String, bool, &str)> {
    let close = s.find(')')?;
    let args = &s[..close];
    let q = args.find('\'')?;
    let q2 = args[q + 1..].find('\'')? + q + 1;
    let symbol = args[q + 1..q2].to_string();
    let leaf = norm(args).contains("isLeaf:true");
    Some((symbol, leaf, &s[close + 1..]))
}

fn natives(dart: &str) -> Result<Vec<Found>, String> {
    let mut out = Vec::new();
    let mut rest = dart;
    while let Some(at) = rest.find("@ffi.Native<") {
        rest = &rest[at + "@ffi.Native<".len()..];
        let (ty, after) = angle_block(rest).ok_or("unbalanced `<` in an @Native annotation")?;
        let after = after
            .trim_start()
            .strip_prefix('(')
            .ok_or("@Native without arguments")?;
        let (symbol, leaf, after) =
            annotation_args(after).ok_or("@Native without symbol: '...'")?;
        let decl_end = after
            .find(';')
            .ok_or_else(|| format!("{symbol}: no `;` after the external"))?;
        let decl = after[..decl_end].trim();
        let decl = decl
            .strip_prefix("external ")
            .ok_or_else(|| format!("{symbol}: the annotated declaration is not `external`"))?;
        let open = decl
            .find('(')
            .ok_or_else(|| format!("{symbol}: no parameter list"))?;
        let head = decl[..open].trim();
        let ret = head
            .rsplit_once(' ')
            .map(|(r, _)| r.trim().to_string())
            .ok_or_else(|| format!("{symbol}: no return type"))?;
        let params = split_top(decl[open + 1..decl.len() - 1].trim())
            .into_iter()
            .map(|p| {
                p.rsplit_once(' ')
                    .map(|(t, _)| t.trim().to_string())
                    .unwrap_or(p)
            })
            .collect();
        out.push(Found {
            symbol,
            native: ty.to_string(),
            dart_ret: Some(ret),
            dart_params: params,
            dart_fn: None,
            leaf,
        });
        rest = &after[decl_end..];
    }
    Ok(out)
}

fn lookups(dart: &str) -> Result<Vec<Found>, String> {
    let mut out = Vec::new();
    let mut rest = dart;
    while let Some(at) = rest.find("lookupFunction<") {
        rest = &rest[at + "lookupFunction<".len()..];
        let (types, after) = angle_block(rest).ok_or("unbalanced `<` in lookupFunction")?;
        let parts = split_top(types);
        if parts.len() != 2 {
            return Err(format!(
                "lookupFunction<{types}> does not have two type arguments"
            ));
        }
        let after = after
            .trim_start()
            .strip_prefix('(')
            .ok_or("lookupFunction without arguments")?;
        let (symbol, leaf, after) =
            annotation_args(after).ok_or("lookupFunction without a symbol")?;
        out.push(Found {
            symbol,
            native: parts[0].clone(),
            dart_ret: None,
            dart_params: Vec::new(),
            dart_fn: Some(parts[1].clone()),
            leaf,
        });
        rest = after;
    }
    Ok(out)
}

/// Checks `dart` (the text of bindings.g.dart) against `header`.
pub fn check(header: &Header, dart: &str, leaf: &[&str]) -> Result<usize, String> {
    let natives = natives(dart)?;
    let lookups = lookups(dart)?;
    let mut problems = Vec::new();
    for f in &header.functions {
        let sig = Signature::of(header, f)?;
        let want_native = norm(&prefixed(&sig.native_fn(), header));
        let want_dart_fn = norm(&prefixed(&sig.dart_fn(), header));
        let want_leaf = leaf.contains(&f.name.as_str());
        match natives.iter().find(|n| n.symbol == f.name) {
            None => problems.push(format!("{}: no @Native binding", f.name)),
            Some(n) => {
                if norm(&n.native) != want_native {
                    problems.push(format!(
                        "{}: @Native<{}> but nook.h declares {}",
                        f.name,
                        n.native,
                        sig.native_fn()
                    ));
                }
                let ret = n.dart_ret.as_deref().map(norm).unwrap_or_default();
                let params: Vec<String> = n.dart_params.iter().map(|p| norm(p)).collect();
                let want_params: Vec<String> = sig
                    .dart_params
                    .iter()
                    .map(|p| norm(&prefixed(p, header)))
                    .collect();
                if ret != norm(&prefixed(&sig.dart_ret, header)) || params != want_params {
                    problems.push(format!(
                        "{}: external {}({}) does not match the native signature (want {}({}))",
                        f.name,
                        ret,
                        params.join(", "),
                        sig.dart_ret,
                        sig.dart_params.join(", ")
                    ));
                }
                if n.leaf != want_leaf {
                    problems.push(format!(
                        "{}: @Native isLeaf is {}, the tool's leaf list says {want_leaf}",
                        f.name, n.leaf
                    ));
                }
            }
        }
        match lookups.iter().find(|n| n.symbol == f.name) {
            None => problems.push(format!(
                "{}: no lookupFunction in NookLibraryBindings",
                f.name
            )),
            Some(n) => {
                if norm(&n.native) != want_native
                    || n.dart_fn.as_deref().map(norm) != Some(want_dart_fn.clone())
                {
                    problems.push(format!(
                        "{}: lookupFunction<{}, {}> but nook.h declares {} (Dart {})",
                        f.name,
                        n.native,
                        n.dart_fn.as_deref().unwrap_or(""),
                        sig.native_fn(),
                        sig.dart_fn()
                    ));
                }
                if n.leaf != want_leaf {
                    problems.push(format!(
                        "{}: lookupFunction isLeaf is {}, the tool's leaf list says {want_leaf}",
                        f.name, n.leaf
                    ));
                }
            }
        }
    }
    for n in natives.iter().chain(&lookups) {
        if header.function(&n.symbol).is_none() {
            problems.push(format!(
                "{}: bound in Dart but not declared in nook.h",
                n.symbol
            ));
        }
    }
    if problems.is_empty() {
        Ok(header.functions.len())
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::generate;

    const H: &str = "typedef uint64_t NookHandle;\nint32_t nook_get(NookHandle db, const uint8_t *key, size_t key_len, size_t *out_len);\nvoid nook_finalize(void *token);\n";

    #[test]
    fn generated_bindings_pass_and_edits_fail() {
        let h = Header::parse(H).unwrap();
        let dart = generate(&h, &[]).unwrap();
        assert_eq!(check(&h, &dart, &[]).unwrap(), 2);
        assert!(generate(&h, &["nook_nothing"]).is_err());
        // A function that should be leaf but is not marked.
        assert!(check(&h, &dart, &["nook_get"])
            .unwrap_err()
            .contains("isLeaf"));
        let leafy = generate(&h, &["nook_get"]).unwrap();
        assert!(leafy.contains("(symbol: 'nook_get', isLeaf: true)"));
        assert!(leafy.contains("('nook_get', isLeaf: true)"));
        check(&h, &leafy, &["nook_get"]).unwrap();

        // A wrong native width.
        let bad = dart.replacen(
            "ffi.Int32 Function(ffi.Uint64",
            "ffi.Int32 Function(ffi.Uint32",
            1,
        );
        assert!(check(&h, &bad, &[]).unwrap_err().contains("nook_get"));
        // A Dart parameter type that does not match.
        let bad = dart.replace(
            "external int _nookGet(int db",
            "external int _nookGet(double db",
        );
        assert!(check(&h, &bad, &[]).unwrap_err().contains("does not match"));
        // A leaf flag on a call that may block.
        let bad = dart.replace("(symbol: 'nook_get')", "(symbol: 'nook_get', isLeaf: true)");
        assert!(check(&h, &bad, &[]).unwrap_err().contains("isLeaf"));
        // A function added to the header but not bound.
        let h2 = Header::parse(&format!("{H}int32_t nook_close(NookHandle db);\n")).unwrap();
        assert!(check(&h2, &dart, &[])
            .unwrap_err()
            .contains("nook_close: no @Native"));
        // A binding for a function the header lost.
        let h3 = Header::parse("typedef uint64_t NookHandle;\nvoid nook_finalize(void *token);\n")
            .unwrap();
        assert!(check(&h3, &dart, &[])
            .unwrap_err()
            .contains("not declared in nook.h"));
    }
}

/// Checks that the hand-written SDK sources use only bindings and constants
/// that the generated file declares: a function or constant renamed or
/// removed in `nook.h` is reported here, naming the file that still uses it,
/// rather than first by a Dart compiler.
///
/// `generated` is the text of bindings.g.dart; `sources` are (path, text) of
/// the other Dart files of `lib/`.
pub fn check_uses(generated: &str, sources: &[(String, String)]) -> Result<usize, String> {
    let declared: Vec<String> = generated
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("nook") && w.len() > 4 && w.as_bytes()[4].is_ascii_uppercase())
        .map(str::to_string)
        .collect();
    let mut problems = Vec::new();
    let mut uses = 0;
    for (path, text) in sources {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("nook") {
                let before = rest[..at].chars().last();
                let word: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[at + word.len().max(4)..];
                let is_ident_start = !before.is_some_and(|c| {
                    c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '"'
                });
                let looks_generated = word.len() > 4 && word.as_bytes()[4].is_ascii_uppercase();
                if !is_ident_start || !looks_generated {
                    continue;
                }
                uses += 1;
                if !declared.contains(&word) {
                    problems.push(format!("{path}:{}: `{word}` is not declared by bindings.g.dart (renamed or removed in nook.h?)", n + 1));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(uses)
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod use_tests {
    use super::check_uses;

    #[test]
    fn reports_uses_of_undeclared_bindings() {
        let generated = "const int nookStatsLen = 14;\n  int nookGet(int db);\n";
        let ok = vec![(
            "a.dart".to_string(),
            "x = bindings.nookGet(1) + nookStatsLen; // nookOld\nfinal s = 'nookQuoted';"
                .to_string(),
        )];
        assert_eq!(check_uses(generated, &ok).unwrap(), 2);
        let bad = vec![(
            "a.dart".to_string(),
            "\nbindings.nookGetValue(1);".to_string(),
        )];
        let err = check_uses(generated, &bad).unwrap_err();
        assert!(err.contains("a.dart:2: `nookGetValue`"), "{err}");
    }
}
