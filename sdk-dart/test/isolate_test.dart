import 'dart:isolate';
import 'dart:typed_data';

import 'package:nook/nook.dart';
import 'package:test/test.dart';

import 'support/temp.dart';

// Isolate entry points and transaction bodies are top-level functions (or
// closures made by them), so they capture nothing but their arguments.

String _writeFromIsolate(String path) {
  final db = Nook.open(path);
  db.put('from', 'isolate');
  final seen = db.get('from main') as String;
  db.close();
  return seen;
}

void _openAndForget(String path) {
  // Left open on purpose: the isolate exits with the handle alive, as on a
  // Flutter hot restart.
  Nook.open(path).put('left', 'open');
}

int _countInTxn(ReadTxn txn) => txn.length;

String _transfer(WriteTxn txn) {
  final from = txn.get('from') as int;
  txn.put('from', from - 10);
  txn.put('to', ((txn.get('to') as int?) ?? 0) + 10);
  return 'moved';
}

Object? Function(WriteTxn) _failingWrite() => (txn) {
      txn.put('partial', 1);
      txn.insert('exists', 2); // ALREADY_EXISTS
      return null;
    };

void main() {
  group('async API (worker isolate)', () {
    late Nook db;
    setUp(() => db = Nook.memory());
    tearDown(() => db.close());

    test('every operation', () async {
      await db.putAsync('a', {'x': 1});
      expect(await db.getAsync('a'), {'x': 1});
      expect(await db.getBytesAsync('a'),
          Uint8List.fromList([0xa1, 0x61, 0x78, 0x01]));
      await db.insertAsync('b', 2);
      await db.updateAsync('b', 3);
      await db.putBytesAsync('c', Uint8List.fromList([0x04]));
      expect(await db.containsKeyAsync('c'), isTrue);
      expect(await db.lengthAsync(), 3);
      expect(await db.deleteAsync('c'), isTrue);
      expect(await db.deleteAsync('c'), isFalse);
      await db.applyAsync(NookBatch()
        ..put('d', 5)
        ..delete('b'));
      final entries = await db.entriesAsync();
      expect({for (final e in entries) e.keyString: e.value},
          {'a': {'x': 1}, 'd': 5});
      expect((await db.entriesAsync(prefix: 'd')).single.value, 5);
      expect(await db.getAsync('absent'), isNull);
      expect((await db.checkAsync()).keysChecked, 2);
      expect((await db.statsAsync()).keyCount, 2);
      await db.syncAsync();
      final dir = tempDir();
      await db.backupAsync('${dir.path}/b.nook');
      final copy = Nook.open('${dir.path}/b.nook');
      addTearDown(copy.close);
      expect(copy.get('d'), 5);
    });

    test('the sync and async APIs see the same database', () async {
      db.put('sync', 1);
      expect(await db.getAsync('sync'), 1);
      await db.putAsync('async', 2);
      expect(db.get('async'), 2);
    });

    test('many calls in flight complete, in order', () async {
      final writes = [for (var i = 0; i < 200; i++) db.putAsync('k$i', i)];
      await Future.wait(writes);
      expect(db.length, 200);
      final reads = await Future.wait([
        for (var i = 0; i < 200; i++) db.getAsync('k$i'),
      ]);
      expect(reads, [for (var i = 0; i < 200; i++) i]);
    });

    test('transactions run on the worker', () async {
      db.putAll({'from': 100, 'x': 0});
      expect(await db.writeAsync(_transfer), 'moved');
      expect(db.get('from'), 90);
      expect(db.get('to'), 10);
      expect(await db.readAsync(_countInTxn), 3);
    });

    test('errors arrive typed and roll the transaction back', () async {
      db.put('exists', 1);
      await expectLater(db.insertAsync('exists', 2),
          throwsA(isA<AlreadyExistsException>()));
      await expectLater(db.updateAsync('nope', 2),
          throwsA(isA<NotFoundException>()));
      await expectLater(db.putAsync('', 1),
          throwsA(isA<InvalidArgumentException>()));
      await expectLater(db.writeAsync(_failingWrite()),
          throwsA(isA<AlreadyExistsException>()));
      expect(db.containsKey('partial'), isFalse);
      expect(db.get('exists'), 1);
    });

    test('an unsendable callback is refused with INVALID_ARGUMENT', () async {
      final port = ReceivePort();
      addTearDown(port.close);
      await expectLater(
          db.readAsync((txn) => port.sendPort.hashCode + txn.length),
          throwsA(isA<InvalidArgumentException>()));
    });

    test('openAsync and closeAsync', () async {
      final path = tempDbPath();
      final file = await Nook.openAsync(path);
      expect(file.path, path);
      file.put('a', 1);
      await file.putAsync('b', 2);
      await file.closeAsync();
      expect(file.isClosed, isTrue);
      expect(() => file.get('a'), throwsA(isA<ClosedException>()));
      await file.closeAsync(); // twice is fine
      final again = Nook.open(path);
      addTearDown(again.close);
      expect(again.get('b'), 2);
      await expectLater(Nook.openAsync(path, pageSize: 3000),
          throwsA(isA<InvalidArgumentException>()));
      await expectLater(Nook.openAsync('${tempDir().path}/x/y/z.nook'),
          throwsA(isA<IoException>()));
    });

    test('an async call on a closed database is CLOSED', () async {
      final other = Nook.memory()..close();
      await expectLater(other.getAsync('a'), throwsA(isA<ClosedException>()));
      await expectLater(other.putAsync('a', 1), throwsA(isA<ClosedException>()));
    });
  });

  group('several isolates', () {
    test('a second isolate attaches to the same open file', () async {
      final path = tempDbPath();
      final db = Nook.open(path);
      addTearDown(db.close);
      db.put('from main', 'hello');
      final seen = await Isolate.run(() => _writeFromIsolate(path));
      expect(seen, 'hello');
      expect(db.get('from'), 'isolate');
    });

    test('an isolate that exits with the database open does not lock it out',
        () async {
      final path = tempDbPath();
      await Isolate.run(() => _openAndForget(path));
      final db = Nook.open(path);
      addTearDown(db.close);
      expect(db.get('left'), 'open');
      db.put('after', 'restart');
      expect(db.get('after'), 'restart');
    });

    test('concurrent writers in several isolates lose nothing', () async {
      final path = tempDbPath();
      final db = Nook.open(path);
      addTearDown(db.close);
      await Future.wait([
        for (var w = 0; w < 4; w++) Isolate.run(() => _writeMany(path, w)),
      ]);
      expect(db.length, 4 * 50);
    });
  });
}

void _writeMany(String path, int worker) {
  final db = Nook.open(path, busyTimeout: null);
  for (var i = 0; i < 50; i++) {
    db.write((txn) => txn.put('w$worker-$i', i));
  }
  db.close();
}
