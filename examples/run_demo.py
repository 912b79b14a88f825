"""`make demo`: start the embedded mock Scalekit server and run the quickstart against it."""

print("demo: the mock server and quickstart are coming with the mock-server issue")
