// Uses the async API and never closes the database: the process must still
// exit when main returns (the worker isolate must not keep it alive).
import 'package:nook/nook.dart';

Future<void> main() async {
  final db = Nook.memory();
  await db.putAsync('a', 41);
  print(((await db.getAsync('a')) as int) + 1);
}
