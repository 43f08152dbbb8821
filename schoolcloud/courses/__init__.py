"""Courses: lessons with content blocks, copying, sharing with colleagues and the school's material library."""
