"""``tillpoint-server seed-demo``: the demo shop (the desktop demo's recipe) in the central store."""
