"""What the project's tests share: vendor-neutral harnesses (specs, tenancy) and, per API, the seeded records its
tests name and a client with its conveniences, built on `mock_server.testing`. Test modules import from here and
never from one another."""
