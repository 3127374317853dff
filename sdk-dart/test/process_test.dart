// Behaviour across processes: the file lock, and process exit with the async
// worker running. Each test starts `dart run` on a helper in test/support.
import 'dart:convert';
import 'dart:io';

import 'package:nook/nook.dart';
import 'package:test/test.dart';

import 'support/temp.dart';

void main() {
  final dart = Platform.resolvedExecutable;

  test('a file open in another process is LOCKED, and free once it closes',
      () async {
    final path = tempDbPath();
    final holder =
        await Process.start(dart, ['run', 'test/support/hold_open.dart', path]);
    addTearDown(holder.kill);
    final lines =
        holder.stdout.transform(utf8.decoder).transform(const LineSplitter());
    final first = await lines.first.timeout(const Duration(seconds: 120));
    expect(first, 'open');

    expect(
        () => Nook.open(path),
        throwsA(isA<LockedException>()
            .having((e) => e.name, 'name', 'LOCKED')
            .having((e) => e.message, 'message', isNotEmpty)));

    holder.stdin.writeln('close');
    await holder.stdin.flush();
    expect(await holder.exitCode.timeout(const Duration(seconds: 60)), 0);
    final db = Nook.open(path);
    addTearDown(db.close);
    expect(db.get('holder'), isA<int>());
  }, timeout: const Timeout(Duration(minutes: 3)));

  test('a program that used the async API exits without close()', () async {
    final result = await Process.run(dart, ['run', 'test/support/async_exit.dart'])
        .timeout(const Duration(seconds: 120));
    expect(result.exitCode, 0, reason: '${result.stderr}');
    expect((result.stdout as String).trim().split('\n').last, '42');
  }, timeout: const Timeout(Duration(minutes: 3)));
}
