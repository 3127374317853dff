import 'dart:typed_data';

import 'package:nook/nook.dart';
import 'package:test/test.dart';

import 'support/temp.dart';

void main() {
  late Nook db;
  setUp(() => db = Nook.memory());
  tearDown(() => db.close());

  group('write', () {
    test('commits every write when the callback returns, and returns its value',
        () {
      db.put('gone', 1);
      final result = db.write((txn) {
        txn.put('a', 1);
        txn['b'] = 2;
        txn.insert('c', 3);
        txn.update('a', 10);
        expect(txn.delete('gone'), isTrue);
        txn.putBytes('d', Uint8List.fromList([0x04]));
        txn.insertBytes('e', Uint8List.fromList([0x05]));
        txn.updateBytes('e', Uint8List.fromList([0x06]));
        txn.apply(NookBatch()..put('f', 7));
        expect(txn.length, 6);
        return 'done';
      });
      expect(result, 'done');
      expect(db.get('a'), 10);
      expect(db.get('b'), 2);
      expect(db.get('c'), 3);
      expect(db.get('d'), 4);
      expect(db.get('e'), 6);
      expect(db.get('f'), 7);
      expect(db.containsKey('gone'), isFalse);
    });

    test('sees its own writes; others do not until commit', () {
      db.put('a', 1);
      final txn = db.beginWrite();
      txn.put('a', 2);
      txn.put('b', 3);
      expect(txn.get('a'), 2);
      expect(txn.getBytes('b'), Uint8List.fromList([0x03]));
      expect(txn.containsKey('b'), isTrue);
      expect(db.get('a'), 1);
      expect(db.containsKey('b'), isFalse);
      final other = db.beginRead();
      expect(other.get('a'), 1);
      other.end();
      txn.commit();
      expect(db.get('a'), 2);
      expect(db.get('b'), 3);
    });

    test('an exception in the callback rolls everything back and is rethrown',
        () {
      db.put('a', 1);
      expect(
          () => db.write((txn) {
                txn.put('a', 2);
                txn.put('b', 2);
                throw const FormatException('boom');
              }),
          throwsA(isA<FormatException>()));
      expect(db.get('a'), 1);
      expect(db.containsKey('b'), isFalse);
      db.put('c', 1); // the writer slot was released
    });

    test('a failed operation inside leaves the transaction usable', () {
      db.write((txn) {
        txn.put('a', 1);
        expect(() => txn.insert('a', 2),
            throwsA(isA<AlreadyExistsException>()));
        expect(() => txn.update('zz', 2), throwsA(isA<NotFoundException>()));
        txn.put('b', 2);
      });
      expect(db.length, 2);
    });

    test('an async callback is refused before it runs', () {
      var ran = false;
      expect(
          () => db.write((txn) async {
                ran = true;
                txn.put('a', 1);
              }),
          throwsA(isA<InvalidArgumentException>()
              .having((e) => e.message, 'message', contains('synchronous'))));
      expect(ran, isFalse);
      expect(db.length, 0);
      db.put('ok', 1);
    });

    test('a callback that returns a Future is rolled back and refused', () {
      expect(
          () => db.write<Object?>((txn) {
                txn.put('a', 1);
                return Future<int>.value(1);
              }),
          throwsA(isA<InvalidArgumentException>()));
      expect(db.containsKey('a'), isFalse);
      expect(
          () => db.read<Object?>((txn) => Future<int>.value(1)),
          throwsA(isA<InvalidArgumentException>()));
    });

    test('rollback discards; a second rollback is CLOSED', () {
      final txn = db.beginWrite();
      txn.put('a', 1);
      txn.rollback();
      expect(txn.rollback, throwsA(isA<ClosedException>()));
      expect(db.length, 0);
      expect(txn.isOpen, isFalse);
      db.put('writer slot', 'released');
    });

    test('a second writer on the same object is BUSY at once', () {
      final txn = db.beginWrite();
      expect(db.beginWrite, throwsA(isA<BusyException>()));
      expect(() => db.put('a', 1), throwsA(isA<BusyException>()));
      expect(() => db.delete('a'), throwsA(isA<BusyException>()));
      expect(() => db.apply(NookBatch()..put('a', 1)),
          throwsA(isA<BusyException>()));
      expect(() => db.write((t) {}), throwsA(isA<BusyException>()));
      expect(db.get('a'), isNull, reason: 'reads do not wait');
      txn.commit();
      db.put('a', 1);
    });

    test('a writer through another handle waits for the busy timeout, then '
        'BUSY', () {
      final path = tempDbPath();
      final a = Nook.open(path);
      final b = Nook.open(path, busyTimeout: const Duration(milliseconds: 50));
      addTearDown(a.close);
      addTearDown(b.close);
      final txn = a.beginWrite();
      final watch = Stopwatch()..start();
      expect(b.beginWrite, throwsA(isA<BusyException>()));
      expect(watch.elapsedMilliseconds, greaterThanOrEqualTo(40));
      txn.rollback();
      b.write((t) => t.put('x', 1));
      expect(a.get('x'), 1);
    });

    test('the transaction is unusable after commit: CLOSED', () {
      final txn = db.beginWrite();
      txn.put('a', 1);
      txn.commit();
      expect(txn.isOpen, isFalse);
      expect(() => txn.get('a'), throwsA(isA<ClosedException>()));
      expect(() => txn.put('b', 1), throwsA(isA<ClosedException>()));
      expect(txn.commit, throwsA(isA<ClosedException>()));
      expect(() => txn.entries().toList(), throwsA(isA<ClosedException>()));
      expect(db.get('a'), 1);
    });

    test('iteration inside a write transaction sees its writes', () {
      db.put('a', 1);
      db.write((txn) {
        txn.put('b', 2);
        txn.delete('a');
        expect(txn.entries().map((e) => e.keyString).toList(), ['b']);
      });
    });

    test('an iteration ends with CLOSED when its transaction ends', () {
      db.putAll({for (var i = 0; i < 10; i++) 'k$i': i});
      final txn = db.beginRead();
      final it = txn.entries().iterator;
      it.moveNext();
      txn.end();
      expect(() {
        while (it.moveNext()) {}
      }, throwsA(isA<ClosedException>()));
    });
  });

  group('read', () {
    test('is a stable snapshot', () {
      db.put('a', 1);
      db.read((txn) {
        db.put('a', 2);
        db.put('b', 2);
        expect(txn.get('a'), 1);
        expect(txn.containsKey('b'), isFalse);
        expect(txn.length, 1);
        expect(txn.entries().length, 1);
      });
      expect(db.get('a'), 2);
    });

    test('returns the callback value and ends the transaction on throw', () {
      expect(db.read((txn) => 42), 42);
      expect(
          () => db.read((txn) => throw StateError('x')), throwsStateError);
      db.put('a', 1);
    });

    test('ReadTxn is unusable after end: CLOSED, also for a second end', () {
      final txn = db.beginRead();
      txn.end();
      expect(txn.end, throwsA(isA<ClosedException>()));
      expect(() => txn.get('a'), throwsA(isA<ClosedException>()));
      expect(() => txn.length, throwsA(isA<ClosedException>()));
    });

    test('does not block a writer', () {
      final r = db.beginRead();
      db.write((t) => t.put('a', 1));
      expect(r.length, 0);
      r.end();
      expect(db.length, 1);
    });
  });

  test('closing the database ends its transactions: CLOSED, data intact', () {
    final path = tempDbPath();
    final file = Nook.open(path);
    file.put('a', 1);
    final w = file.beginWrite();
    w.put('a', 2);
    final r = file.beginRead();
    file.close();
    expect(() => w.get('a'), throwsA(isA<ClosedException>()));
    expect(() => r.get('a'), throwsA(isA<ClosedException>()));
    expect(w.commit, throwsA(isA<ClosedException>()));
    expect(w.rollback, throwsA(isA<ClosedException>()));
    expect(r.end, throwsA(isA<ClosedException>()));
    final again = Nook.open(path);
    addTearDown(again.close);
    expect(again.get('a'), 1);
  });
}
