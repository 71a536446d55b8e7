"""Product images: validated by content, resized, stored behind one interface (GridFS), served with caching headers."""
