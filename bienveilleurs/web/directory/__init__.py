"""The directory: search and resource pages, managing structures and resources (members,
merges), and the printed booklets."""
