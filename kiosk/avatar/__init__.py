"""The avatar: face poses, the renderer and where frames go (window, nothing, video)."""
