"""The desktop client's Qt layer: windows, screens, dialogs and the helper that runs work off the UI thread."""
