import 'dart:convert';
import 'dart:io';
import 'dart:isolate';
import 'dart:typed_data';

import 'package:nook/nook.dart';
import 'package:test/test.dart';

import 'support/temp.dart';

Matcher throwsNook<T extends NookException>(String name) =>
    throwsA(isA<T>().having((e) => e.name, 'name', name).having(
        (e) => e.message, 'message', isNotEmpty));

void main() {
  group('opening', () {
    test('memory databases start empty and are independent', () {
      final a = Nook.memory();
      final b = Nook.memory();
      addTearDown(a.close);
      addTearDown(b.close);
      a.put('k', 1);
      expect(a.length, 1);
      expect(b.length, 0);
      expect(a.path, isNull);
      expect(a.isClosed, isFalse);
    });

    test('a file keeps its data across close and reopen', () {
      final path = tempDbPath();
      final db = Nook.open(path);
      db.put('user:1', {'name': 'Ada'});
      db.close();
      expect(File(path).existsSync(), isTrue);
      final again = Nook.open(path);
      addTearDown(again.close);
      expect(again.get('user:1'), {'name': 'Ada'});
      expect(again.path, path);
    });

    test('create: false on a missing file is NOT_FOUND', () {
      expect(() => Nook.open(tempDbPath(), create: false),
          throwsNook<NotFoundException>('NOT_FOUND'));
    });

    test('a missing directory is IO', () {
      final path = '${tempDir().path}/no/such/dir/db.nook';
      expect(() => Nook.open(path), throwsNook<IoException>('IO'));
    });

    test('an IO failure carries the operating system error code', () {
      // A folder is not a database file: the OS refuses it with EISDIR
      // (21 on Linux and macOS); errors not from the OS carry 0.
      final folder = tempDir().path;
      try {
        Nook.open(folder);
        fail('opening a folder succeeded');
      } on IoException catch (e) {
        if (Platform.isLinux || Platform.isMacOS) expect(e.osErrorCode, 21);
        expect(e.osErrorCode, isNot(0));
        expect(e.toString(), contains('os error'));
      }
      try {
        Nook.open(tempDbPath(), create: false);
        fail('opening a missing file without create succeeded');
      } on NotFoundException catch (e) {
        expect(e.osErrorCode, 0);
      }
    });

    test('a file that is not a database is CORRUPTED', () {
      final path = tempDbPath();
      File(path).writeAsBytesSync(List.filled(10000, 0x41));
      expect(() => Nook.open(path), throwsNook<CorruptedException>('CORRUPTED'));
    });

    test('bad options are INVALID_ARGUMENT', () {
      expect(() => Nook.memory(pageSize: 3000),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
      expect(() => Nook.memory(cacheSize: -1),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
      expect(() => Nook.memory(busyTimeout: const Duration(seconds: -1)),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
    });

    test('page size, cache size and relaxed durability are accepted', () {
      final db = Nook.open(tempDbPath(),
          pageSize: 8192, cacheSize: 1 << 20, durability: Durability.relaxed);
      addTearDown(db.close);
      db.put('a', 1);
      db.sync();
      expect(db.stats().pageSize, 8192);
    });

    test('read-only databases refuse writes with READ_ONLY', () {
      final path = tempDbPath();
      Nook.open(path)
        ..put('a', 1)
        ..close();
      final db = Nook.open(path, readOnly: true);
      addTearDown(db.close);
      expect(db.get('a'), 1);
      expect(() => db.put('b', 2), throwsNook<ReadOnlyException>('READ_ONLY'));
      expect(() => db.delete('a'), throwsNook<ReadOnlyException>('READ_ONLY'));
      expect(() => db.write((t) => t.put('b', 2)),
          throwsNook<ReadOnlyException>('READ_ONLY'));
      expect(db.get('a'), 1);
    });

    test('opening an open path again attaches to the same database', () {
      final path = tempDbPath();
      final a = Nook.open(path);
      final b = Nook.open(path);
      addTearDown(a.close);
      addTearDown(b.close);
      a.put('shared', 'yes');
      expect(b.get('shared'), 'yes');
      a.close();
      expect(b.get('shared'), 'yes', reason: 'b stays usable after a closes');
    });

    test('the library reports its version', () {
      expect(Nook.libraryVersion(), contains('ABI 1.'));
    });
  });

  group('typed values', () {
    late Nook db;
    setUp(() => db = Nook.memory());
    tearDown(() => db.close());

    final values = <String, Object?>{
      'null': null,
      'true': true,
      'false': false,
      'zero': 0,
      'negative': -42,
      'max int': 9223372036854775807,
      'min int': -9223372036854775807 - 1,
      'double': 3.25,
      'nan': double.nan,
      'string': 'héllo wörld ✓',
      'empty string': '',
      'bytes': Uint8List.fromList([0, 1, 2, 255]),
      'list': [1, 'two', 3.0, null, true],
      'map': {'name': 'Ada', 'born': 1815, 'tags': ['math', 'code']},
      'nested': {
        'a': [
          {'b': Uint8List.fromList([1])}
        ]
      },
    };
    values.forEach((name, value) {
      test('$name round-trips', () {
        db.put(name, value);
        expect(cborDeepEquals(db.get(name), value), isTrue,
            reason: '${db.get(name)}');
        expect(db[name] == null, value == null);
      });
    });

    test('get of an absent key is null; containsKey tells null from absent', () {
      db.put('n', null);
      expect(db.get('n'), isNull);
      expect(db.containsKey('n'), isTrue);
      expect(db.get('absent'), isNull);
      expect(db.containsKey('absent'), isFalse);
    });

    test('operator [] and []=', () {
      db['x'] = [1, 2];
      expect(db['x'], [1, 2]);
    });

    test('insert refuses an existing key with ALREADY_EXISTS and changes nothing',
        () {
      db.insert('k', 1);
      expect(() => db.insert('k', 2),
          throwsNook<AlreadyExistsException>('ALREADY_EXISTS'));
      expect(db.get('k'), 1);
    });

    test('update refuses an absent key with NOT_FOUND', () {
      expect(() => db.update('k', 1), throwsNook<NotFoundException>('NOT_FOUND'));
      expect(db.containsKey('k'), isFalse);
      db.put('k', 1);
      db.update('k', 2);
      expect(db.get('k'), 2);
    });

    test('delete reports whether the key existed', () {
      db.put('k', 1);
      expect(db.delete('k'), isTrue);
      expect(db.delete('k'), isFalse);
      expect(db.containsKey('k'), isFalse);
    });

    test('length, isEmpty and isNotEmpty', () {
      expect(db.isEmpty, isTrue);
      db.putAll({'a': 1, 'b': 2, 'c': 3});
      expect(db.length, 3);
      expect(db.isNotEmpty, isTrue);
    });

    test('values with no CBOR form are INVALID_VALUE and nothing is written',
        () {
      expect(() => db.put('k', DateTime(2020)),
          throwsNook<InvalidValueException>('INVALID_VALUE'));
      expect(db.containsKey('k'), isFalse);
    });
  });

  group('keys', () {
    late Nook db;
    setUp(() => db = Nook.memory());
    tearDown(() => db.close());

    test('String keys are UTF-8; byte keys are equivalent', () {
      db.put('ключ', 1);
      expect(db.get(utf8.encode('ключ')), 1);
      expect(db.get(utf8.encode('ключ').toList()), 1);
    });

    test('binary keys with zero bytes', () {
      final key = Uint8List.fromList([0, 0, 1, 0]);
      db.put(key, 'bin');
      expect(db.get(key), 'bin');
      expect(db.get(Uint8List.fromList([0, 0, 1])), isNull);
    });

    test('the empty key is INVALID_ARGUMENT', () {
      expect(() => db.put('', 1),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
      expect(() => db.get(''),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
    });

    test('4096-byte keys work; 4097 is KEY_TOO_LARGE', () {
      db.put('a' * 4096, 1);
      expect(db.get('a' * 4096), 1);
      expect(() => db.put('a' * 4097, 1),
          throwsNook<KeyTooLargeException>('KEY_TOO_LARGE'));
      expect(() => db.get('a' * 4097),
          throwsNook<KeyTooLargeException>('KEY_TOO_LARGE'));
    });

    test('keys of other types are INVALID_ARGUMENT', () {
      expect(() => db.put(3.5, 1),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
      expect(() => db.put([1, 300], 1),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
    });
  });

  group('raw CBOR', () {
    late Nook db;
    setUp(() => db = Nook.memory());
    tearDown(() => db.close());

    test('bytes in, the same bytes out', () {
      final cbor = Uint8List.fromList([0xa1, 0x61, 0x61, 0x18, 0x2a]);
      db.putBytes('k', cbor);
      expect(db.getBytes('k'), cbor);
      expect(db.get('k'), {'a': 42});
      expect(db.getBytes('absent'), isNull);
    });

    test('insertBytes and updateBytes', () {
      db.insertBytes('k', Uint8List.fromList([0x01]));
      expect(() => db.insertBytes('k', Uint8List.fromList([0x02])),
          throwsNook<AlreadyExistsException>('ALREADY_EXISTS'));
      db.updateBytes('k', Uint8List.fromList([0x03]));
      expect(db.get('k'), 3);
      expect(() => db.updateBytes('x', Uint8List.fromList([0x03])),
          throwsNook<NotFoundException>('NOT_FOUND'));
    });

    test('malformed CBOR is INVALID_VALUE and is not stored', () {
      for (final bad in [
        <int>[],
        [0x18],
        [0x01, 0x02],
        [0x62, 0xc3, 0x28],
      ]) {
        expect(() => db.putBytes('k', Uint8List.fromList(bad)),
            throwsNook<InvalidValueException>('INVALID_VALUE'));
      }
      expect(db.length, 0);
    });

    test('values larger than the reusable buffer come back whole', () {
      final big = Uint8List.fromList(List.generate(3 << 20, (i) => i & 0xff));
      db.put('big', big);
      final back = db.get('big') as Uint8List;
      expect(back.length, big.length);
      expect(back, big);
      db.put('medium', Uint8List(100000));
      expect((db.get('medium') as Uint8List).length, 100000);
    });

    test('a value over 64 MiB is VALUE_TOO_LARGE', () {
      final cbor = Uint8List((64 << 20) + 16);
      cbor[0] = 0x5a; // byte string, 4-byte length
      ByteData.sublistView(cbor).setUint32(1, cbor.length - 5);
      expect(() => db.putBytes('k', cbor),
          throwsNook<ValueTooLargeException>('VALUE_TOO_LARGE'));
    });
  });

  group('iteration', () {
    late Nook db;
    setUp(() => db = Nook.memory());
    tearDown(() => db.close());

    test('every pair once, in batches, with typed values', () {
      for (var i = 0; i < 3000; i++) {
        db.put('k$i', i);
      }
      final seen = <String, Object?>{};
      for (final e in db.entries()) {
        expect(seen.containsKey(e.keyString), isFalse);
        seen[e.keyString] = e.value;
      }
      expect(seen.length, 3000);
      expect(seen['k2999'], 2999);
    });

    test('a prefix limits the pairs', () {
      db.putAll({'user:1': 'a', 'user:2': 'b', 'order:1': 'c', 'user': 'd'});
      final keys = db.entries(prefix: 'user:').map((e) => e.keyString).toSet();
      expect(keys, {'user:1', 'user:2'});
      expect(db.entries(prefix: 'none').isEmpty, isTrue);
    });

    test('iteration reads a snapshot taken when it starts', () {
      db.putAll({'a': 1, 'b': 2});
      final it = db.entries().iterator;
      expect(it.moveNext(), isTrue);
      db.put('c', 3);
      db.delete('a');
      var count = 1;
      while (it.moveNext()) {
        count++;
      }
      expect(count, 2);
      expect(db.entries().length, 2);
    });

    test('other calls may run between steps', () {
      db.putAll({for (var i = 0; i < 100; i++) 'k$i': i});
      var n = 0;
      for (final e in db.entries()) {
        expect(db.get(e.key), e.value);
        n++;
      }
      expect(n, 100);
    });

    test('pairs larger than a batch buffer', () {
      db.put('big', Uint8List(200 << 10));
      db.put('small', 1);
      final sizes = {for (final e in db.entries()) e.keyString: e.rawValue.length};
      expect(sizes['small'], 1);
      expect(sizes['big'], greaterThan(200 << 10));
    });

    test('an abandoned iteration does not block writes', () {
      db.putAll({'a': 1, 'b': 2});
      final it = db.entries().iterator..moveNext();
      expect(it.current.key, isNotEmpty);
      db.put('c', 3);
      expect(db.length, 3);
    });
  });

  group('batches', () {
    late Nook db;
    setUp(() => db = Nook.memory());
    tearDown(() => db.close());

    test('apply writes all operations in order', () {
      db.put('gone', 0);
      final batch = NookBatch()
        ..put('a', 1)
        ..put('a', 2)
        ..putBytes('b', Uint8List.fromList([0x03]))
        ..delete('gone');
      expect(batch.length, 4);
      db.apply(batch);
      expect(db.get('a'), 2);
      expect(db.get('b'), 3);
      expect(db.containsKey('gone'), isFalse);
    });

    test('a bad record fails the whole batch', () {
      final batch = NookBatch()
        ..put('a', 1)
        ..putBytes('b', Uint8List.fromList([0x18]));
      expect(() => db.apply(batch),
          throwsNook<InvalidValueException>('INVALID_VALUE'));
      expect(db.containsKey('a'), isFalse);
      final keyTooLong = NookBatch()
        ..put('a', 1)
        ..put('x' * 5000, 1);
      expect(() => db.apply(keyTooLong),
          throwsNook<KeyTooLargeException>('KEY_TOO_LARGE'));
      expect(db.length, 0);
    });
  });

  group('maintenance', () {
    test('check, stats, compact and backup', () {
      final dir = tempDir();
      final db = Nook.open('${dir.path}/db.nook');
      addTearDown(db.close);
      for (var i = 0; i < 500; i++) {
        db.put('k$i', 'v' * 100);
      }
      for (var i = 0; i < 400; i++) {
        db.delete('k$i');
      }
      final report = db.check();
      expect(report.keysChecked, 100);
      final stats = db.stats();
      expect(stats.keyCount, 100);
      expect(stats.pageSize, 4096);
      expect(stats.fileSize, greaterThan(0));
      final compacted = db.compact();
      expect(compacted.sizeAfter, lessThanOrEqualTo(compacted.sizeBefore));
      expect(db.length, 100);
      final backup = '${dir.path}/backup.nook';
      db.backup(backup);
      final copy = Nook.open(backup, readOnly: true);
      addTearDown(copy.close);
      expect(copy.length, 100);
      expect(copy.get('k450'), 'v' * 100);
      expect(copy.check().keysChecked, 100);
    });

    test('backup of a memory database, and to a bad path', () {
      final db = Nook.memory();
      addTearDown(db.close);
      db.put('a', 1);
      final dir = tempDir();
      db.backup('${dir.path}/m.nook');
      final copy = Nook.open('${dir.path}/m.nook');
      addTearDown(copy.close);
      expect(copy.get('a'), 1);
      expect(() => db.backup('${dir.path}/no/such/dir/x.nook'),
          throwsA(isA<NookException>()));
    });
  });

  group('use after close', () {
    test('every method throws CLOSED, never crashes; close twice is fine', () {
      final db = Nook.memory();
      db.put('a', 1);
      db.close();
      db.close();
      expect(db.isClosed, isTrue);
      final calls = <String, void Function()>{
        'get': () => db.get('a'),
        'getBytes': () => db.getBytes('a'),
        'put': () => db.put('a', 1),
        'insert': () => db.insert('b', 1),
        'update': () => db.update('a', 1),
        'delete': () => db.delete('a'),
        'containsKey': () => db.containsKey('a'),
        'length': () => db.length,
        'entries': () => db.entries().toList(),
        'apply': () => db.apply(NookBatch()..put('a', 1)),
        'read': () => db.read((t) => 1),
        'write': () => db.write((t) => 1),
        'check': db.check,
        'stats': db.stats,
        'compact': db.compact,
        'backup': () => db.backup('/tmp/never'),
        'sync': db.sync,
        'nativeHandle': () => db.nativeHandle,
      };
      calls.forEach((name, call) {
        expect(call, throwsNook<ClosedException>('CLOSED'), reason: name);
      });
    });
  });

  group('library loading', () {
    test('a different libraryPath in the same isolate is refused', () {
      Nook.memory().close();
      expect(() => Nook.memory(libraryPath: '/no/such/libnook.so'),
          throwsNook<InvalidArgumentException>('INVALID_ARGUMENT'));
    });

    // Fresh isolates: no library is loaded there yet.
    test('a libraryPath that does not exist is INVALID_ARGUMENT', () async {
      expect(await Isolate.run(() => _openWith('/no/such/libnook.so')),
          'INVALID_ARGUMENT');
    });

    test('a library that is not libnook is INCOMPATIBLE', () async {
      final foreign =
          Platform.isMacOS ? '/usr/lib/libSystem.B.dylib' : 'libc.so.6';
      expect(await Isolate.run(() => _openWith(foreign)), 'INCOMPATIBLE');
    }, testOn: 'linux || mac-os');
  });
}

/// Opens a memory database with [libraryPath] and returns the error NAME (or
/// `OK`); runs in a fresh isolate.
String _openWith(String libraryPath) {
  try {
    Nook.memory(libraryPath: libraryPath).close();
    return 'OK';
  } on NookException catch (e) {
    return e.name;
  }
}
