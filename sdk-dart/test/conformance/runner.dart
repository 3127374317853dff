/// A runner of the shared conformance suite (`spec/conformance/*.nkc`, format
/// in its README) over package:nook's public API: raw CBOR values, explicit
/// transactions, iteration. Used by `test/conformance_test.dart` (one test per
/// case) and `test/conformance_main.dart` (the `dart: N passed, M failed` line
/// of `sdk-dart/conformance.sh`).
library;

import 'dart:io';
import 'dart:typed_data';

import 'package:nook/nook.dart';

/// One case of a `.nkc` file.
final class ConformanceCase {
  ConformanceCase(this.file, this.line, this.name, this.tags);

  final String file;
  final int line;
  final String name;
  final Set<String> tags;
  final List<(int, String)> steps = [];

  @override
  String toString() => '$file:$line $name';
}

/// The outcome of one case: null [failure] and false [skipped] is a pass.
final class CaseResult {
  const CaseResult.passed()
      : failure = null,
        skipped = null;
  const CaseResult.failed(String this.failure) : skipped = null;
  const CaseResult.skipped(String this.skipped) : failure = null;

  final String? failure;
  final String? skipped;
}

/// The conformance folder: `../spec/conformance` from the package root.
Directory? conformanceDir() {
  final dir = Directory('../spec/conformance');
  return dir.existsSync() ? dir : null;
}

/// Every case of every `.nkc` file of [dir], files in sorted order.
List<ConformanceCase> loadCases(Directory dir) {
  final files = dir
      .listSync()
      .whereType<File>()
      .where((f) => f.path.endsWith('.nkc'))
      .toList()
    ..sort((a, b) => a.path.compareTo(b.path));
  final cases = <ConformanceCase>[];
  for (final file in files) {
    final name = file.uri.pathSegments.last;
    ConformanceCase? current;
    final lines = file.readAsLinesSync();
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      final comment = line.indexOf(' #');
      if (comment >= 0) line = line.substring(0, comment);
      line = line.trim();
      if (line.isEmpty || line.startsWith('#')) continue;
      if (line.startsWith('case ')) {
        final parts = line.split(' ');
        final tags = <String>{};
        for (final p in parts.skip(2)) {
          if (p.startsWith('tags=')) tags.addAll(p.substring(5).split(','));
        }
        current = ConformanceCase(name, i + 1, parts[1], tags);
        cases.add(current);
      } else if (line == 'end') {
        current = null;
      } else {
        if (current == null) {
          throw FormatException('$name:${i + 1}: a step outside a case');
        }
        current.steps.add((i + 1, line));
      }
    }
  }
  return cases;
}

/// A byte-string argument: hex, `""`, or `HEX*N`.
Uint8List bytesArg(String arg) {
  if (arg == '""') return Uint8List(0);
  var hex = arg;
  var times = 1;
  final star = arg.indexOf('*');
  if (star >= 0) {
    hex = arg.substring(0, star);
    times = int.parse(arg.substring(star + 1));
  }
  final unit = [
    for (var i = 0; i < hex.length; i += 2)
      int.parse(hex.substring(i, i + 2), radix: 16),
  ];
  final out = Uint8List(unit.length * times);
  if (unit.length == 1) {
    out.fillRange(0, out.length, unit[0]);
  } else {
    for (var t = 0; t < times; t++) {
      out.setRange(t * unit.length, (t + 1) * unit.length, unit);
    }
  }
  return out;
}

String _hex(List<int> b) =>
    b.map((x) => x.toRadixString(16).padLeft(2, '0')).join();

int _compareBytes(Uint8List a, Uint8List b) {
  final n = a.length < b.length ? a.length : b.length;
  for (var i = 0; i < n; i++) {
    if (a[i] != b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/// Thrown by the runner for a case this front end cannot run.
final class _Skip implements Exception {
  _Skip(this.why);
  final String why;
}

/// Runs [c] on fresh databases in [scratch] (a directory for its files).
CaseResult runCase(ConformanceCase c, Directory scratch) {
  if (c.tags.contains('large') && Platform.environment['NOOK_SKIP_LARGE'] == '1') {
    return const CaseResult.skipped('large arguments disabled');
  }
  final state = _State(scratch, c.name);
  try {
    for (final (line, text) in c.steps) {
      final problem = state.step(text);
      if (problem != null) return CaseResult.failed('line $line: $text: $problem');
    }
    return const CaseResult.passed();
  } on _Skip catch (s) {
    return CaseResult.skipped(s.why);
  } finally {
    state.dispose();
  }
}

final class _State {
  _State(this.scratch, this.name);

  final Directory scratch;
  final String name;
  Nook? db;
  String? path;
  final Map<String, NookTxn> txns = {};

  Nook get _db => db ?? (throw StateError('no database opened yet'));

  void dispose() {
    final d = db;
    if (d != null && !d.isClosed) d.close();
  }

  /// Runs one step; returns a description of the mismatch, or null.
  String? step(String text) {
    var expect = 'OK';
    var body = text;
    final arrow = text.indexOf(' => ');
    if (arrow >= 0) {
      body = text.substring(0, arrow);
      expect = text.substring(arrow + 4).trim();
    }
    final space = expect.indexOf(' ');
    final statuses =
        (space < 0 ? expect : expect.substring(0, space)).split('|').toSet();
    var want = space < 0 ? null : expect.substring(space + 1);

    var words = body.split(' ');
    if (words.contains('scan')) {
      want ??= ''; // `scan => OK`: no pairs
    }
    NookTxn? txn;
    if (words.first.endsWith(':')) {
      final tname = words.first.substring(0, words.first.length - 1);
      txn = txns[tname] ?? (throw StateError('no transaction $tname'));
      words = words.sublist(1);
    }

    String status;
    String? got;
    try {
      got = _run(words, txn);
      status = 'OK';
    } on NookException catch (e) {
      status = e.name;
    }
    if (!statuses.contains(status)) {
      return 'got $status${got == null ? '' : ' $got'}, want $expect';
    }
    if (status == 'OK' && want != null && got != want) {
      return 'got OK $got, want OK $want';
    }
    return null;
  }

  String? _run(List<String> w, NookTxn? txn) {
    final op = w.first;
    final args = w.sublist(1);
    if (txn == null) return _onDatabase(op, args);
    return _inTransaction(op, args, txn);
  }

  String? _onDatabase(String op, List<String> a) {
    switch (op) {
      case 'open':
        if (a.first == 'memory') {
          db = Nook.memory();
        } else {
          path = '${scratch.path}${Platform.pathSeparator}$name.nook';
          db = Nook.open(path!);
        }
        return null;
      case 'reopen':
        final p = path ?? (throw _Skip('reopen of a memory database'));
        final old = db;
        if (old != null && !old.isClosed) old.close();
        db = Nook.open(p, readOnly: a.contains('read_only'));
        return null;
      case 'close':
        _db.close();
        return null;
      case 'check':
        _db.check();
        return null;
      case 'compact':
        _db.compact();
        return null;
      case 'begin_read':
        txns[a.first] = _db.beginRead();
        return null;
      case 'begin_write':
        txns[a.first] = _db.beginWrite();
        return null;
      case 'commit':
      case 'rollback':
      case 'end':
        final t = txns[a.first] ?? (throw StateError('no transaction ${a.first}'));
        switch ((t, op)) {
          case (WriteTxn w, 'commit'):
            w.commit();
          case (WriteTxn w, _):
            w.rollback();
          case (ReadTxn r, _):
            r.end();
        }
        return null;
      default:
        return _data(op, a, _DatabaseTarget(_db));
    }
  }

  String? _inTransaction(String op, List<String> a, NookTxn txn) {
    const writes = {'put', 'insert', 'update', 'delete', 'batch'};
    if (txn is ReadTxn && writes.contains(op)) {
      // ReadTxn has no write methods: the misuse does not compile in Dart,
      // so this front end cannot run the step.
      throw _Skip('a write on a read transaction does not compile in Dart');
    }
    return _data(op, a, _TxnTarget(txn));
  }

  String? _data(String op, List<String> a, _Target t) {
    switch (op) {
      case 'get':
        final v = t.getBytes(bytesArg(a[0]));
        if (v == null) throw const NotFoundException('absent');
        return _hex(v);
      case 'put':
        t.putBytes(bytesArg(a[0]), bytesArg(a[1]));
        return null;
      case 'insert':
        t.insertBytes(bytesArg(a[0]), bytesArg(a[1]));
        return null;
      case 'update':
        t.updateBytes(bytesArg(a[0]), bytesArg(a[1]));
        return null;
      case 'delete':
        return '${t.delete(bytesArg(a[0]))}';
      case 'contains':
        return '${t.containsKey(bytesArg(a[0]))}';
      case 'count':
        return '${t.length}';
      case 'batch':
        final batch = NookBatch();
        var i = 0;
        while (i < a.length) {
          if (a[i] == 'put') {
            batch.putBytes(bytesArg(a[i + 1]), bytesArg(a[i + 2]));
            i += 3;
          } else if (a[i] == 'delete') {
            batch.delete(bytesArg(a[i + 1]));
            i += 2;
          } else {
            throw FormatException('batch: unknown operation ${a[i]}');
          }
        }
        t.apply(batch);
        return null;
      case 'scan':
        final prefix = a.isEmpty ? null : bytesArg(a[0]);
        final pairs = t.entries(prefix).toList()
          ..sort((x, y) => _compareBytes(x.key, y.key));
        return pairs.map((e) => '${_hex(e.key)}=${_hex(e.rawValue)}').join(' ');
      default:
        throw FormatException('unknown step `$op`');
    }
  }
}

/// The operations a step can run, on the database or in a transaction.
sealed class _Target {
  Uint8List? getBytes(Uint8List k);
  void putBytes(Uint8List k, Uint8List v);
  void insertBytes(Uint8List k, Uint8List v);
  void updateBytes(Uint8List k, Uint8List v);
  bool delete(Uint8List k);
  bool containsKey(Uint8List k);
  int get length;
  void apply(NookBatch b);
  Iterable<NookEntry> entries(Uint8List? prefix);
}

final class _DatabaseTarget extends _Target {
  _DatabaseTarget(this.db);
  final Nook db;
  @override
  Uint8List? getBytes(Uint8List k) => db.getBytes(k);
  @override
  void putBytes(Uint8List k, Uint8List v) => db.putBytes(k, v);
  @override
  void insertBytes(Uint8List k, Uint8List v) => db.insertBytes(k, v);
  @override
  void updateBytes(Uint8List k, Uint8List v) => db.updateBytes(k, v);
  @override
  bool delete(Uint8List k) => db.delete(k);
  @override
  bool containsKey(Uint8List k) => db.containsKey(k);
  @override
  int get length => db.length;
  @override
  void apply(NookBatch b) => db.apply(b);
  @override
  Iterable<NookEntry> entries(Uint8List? prefix) => db.entries(prefix: prefix);
}

final class _TxnTarget extends _Target {
  _TxnTarget(this.txn);
  final NookTxn txn;
  WriteTxn get _w => txn as WriteTxn;
  @override
  Uint8List? getBytes(Uint8List k) => txn.getBytes(k);
  @override
  void putBytes(Uint8List k, Uint8List v) => _w.putBytes(k, v);
  @override
  void insertBytes(Uint8List k, Uint8List v) => _w.insertBytes(k, v);
  @override
  void updateBytes(Uint8List k, Uint8List v) => _w.updateBytes(k, v);
  @override
  bool delete(Uint8List k) => _w.delete(k);
  @override
  bool containsKey(Uint8List k) => txn.containsKey(k);
  @override
  int get length => txn.length;
  @override
  void apply(NookBatch b) => _w.apply(b);
  @override
  Iterable<NookEntry> entries(Uint8List? prefix) =>
      txn.entries(prefix: prefix);
}
