"""Online quizzes from a spec's variants: Moodle XML question banks and Canvas QTI packages."""
