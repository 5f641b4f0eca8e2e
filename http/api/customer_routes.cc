// being written (HTTP API routes)
