"""The only package that imports SQLAlchemy or writes SQL.

``engine``: the Flask-SQLAlchemy extension and how connections are set up; ``unit_of_work``: the one
way anything is written; ``models``: the tables; ``driver``: the plain-SQL fast path the booking
statements take (private to the store).
"""
