"""Plugins of the application; each module may declare tables on its MetaData."""
