"""The autograder: `pytest autograder` grades exercises/ against the reference solutions.

The checks live in test_chNN_topic.py (one file per chapter); the machinery they share lives in engine/.
"""
