"""The evidence file store, shared by every service that keeps files a unit uploads (progress
reports, supervision replies, 12345 appeals): the upload rules, the type and virus checks, the
store, and the download response."""
