"""HTTP adapters: each module parses a request, makes one service call and renders the result."""
