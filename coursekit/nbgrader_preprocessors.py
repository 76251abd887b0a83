"""The two preprocessors nbgrader_config.py (from `coursekit nbgrader-export`) puts into nbgrader's pipelines.

KitClearSolutions (generate_assignment): nbgrader's ClearSolutions, then the kit's own stub in place of the cleared
solution. KitVerdict (autograde, right after Execute): the grade of every test cell, made outside the student's kernel.
"""
from __future__ import annotations

import nbformat
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

from coursekit.nbgrader_export import grade_code, test_id, verdicts


class KitClearSolutions(ClearSolutions):
    """nbgrader's ClearSolutions, then the kit's own stub for the exercise (docstring, message, guide link)."""

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        stub = cell.metadata.pop("coursekit", {}).get("stub")
        if stub and cell.cell_type == "code":
            cell.source = stub
        return cell, resources


class KitVerdict(NbGraderPreprocessor):
    """After nbgrader has run the student's notebook: grade its code outside the kernel, and write every test cell's
    output from that grade (the kernel's own output of those cells is dropped, whatever it was)."""

    def preprocess(self, nb, resources):
        chapter = resources["nbgrader"]["notebook"]  # the notebook's name in the gradebook, not its metadata
        tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
                 and not c.metadata["nbgrader"].get("solution")}
        code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code" and c not in tests.values()) + "\n"
        results = grade_code(chapter, code)
        for exercise_id, points, feedback in verdicts(results):
            cell = tests.get(test_id(exercise_id))
            if cell is None:
                continue
            cell.outputs = _outputs(feedback, points, cell)
        graded = {test_id(e) for e, _, _ in verdicts(results)}
        for grade_id, cell in tests.items():
            if grade_id not in graded:  # the grader gave nothing for it: no points, and say so
                cell.outputs = _outputs("The course grader gave no result for this exercise.", 0.0, cell)
        return nb, resources


def _outputs(feedback: str, points: float, cell) -> list:
    """The feedback as text, and the points as the cell's result: nbgrader's partial credit."""
    return [nbformat.v4.new_output("stream", name="stdout", text=feedback + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": f"{points:g}"},
                                   execution_count=cell.get("execution_count"))]
