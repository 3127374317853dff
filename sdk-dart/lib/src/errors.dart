/// The exceptions of the Nook SDK: one subclass of the sealed [NookException]
/// per error NAME of `spec/errors.toml` (generated into `errors.g.dart`), so a
/// `switch` over a caught [NookException] can be exhaustive.
library;

part 'errors.g.dart';

/// A failure reported by Nook: a stable [code] and [name] from
/// `spec/errors.toml`, a [message] that says what went wrong and what to do,
/// and, for a failure the operating system reported, its [osErrorCode].
///
/// ```dart
/// try {
///   db.insert('user:1', {'name': 'Ada'});
/// } on AlreadyExistsException catch (e) {
///   print('${e.name}: ${e.message}');
/// }
/// ```
sealed class NookException implements Exception {
  const NookException._(this.code, this.name, this.message,
      [this.osErrorCode = 0]);

  /// The exception for a status [code] returned by the library, carrying
  /// [message] and [osErrorCode]. Unknown codes give an
  /// [UnknownCodeException].
  factory NookException.fromCode(int code, String message,
          {int osErrorCode = 0}) =>
      _exceptionForCode(code, message, osErrorCode);

  /// The stable numeric code (never 0: 0 is OK).
  final int code;

  /// The stable upper-case name, e.g. `NOT_FOUND`.
  final String name;

  /// What went wrong and what to do about it.
  final String message;

  /// The operating system's error code behind the failure (`errno` on POSIX
  /// systems, e.g. 28 ENOSPC, 13 EACCES, 5 EIO; the Win32 error code on
  /// Windows), 0 when it did not come from the operating system. Tells a full
  /// disk from a permission problem or a failing device, as
  /// `OSError.errorCode` of `dart:io` does. Needs a library of ABI 1.1.
  final int osErrorCode;

  @override
  String toString() => osErrorCode == 0
      ? 'NookException($name, code $code): $message'
      : 'NookException($name, code $code, os error $osErrorCode): $message';
}

/// A status code that this version of the package does not know: a newer
/// library of the same ABI major may append codes (see `spec/versioning.md`).
final class UnknownCodeException extends NookException {
  /// An error with a [code] not in this package's table.
  const UnknownCodeException(int code, String message, {int osErrorCode = 0})
      : super._(code, 'UNKNOWN', message, osErrorCode);
}
