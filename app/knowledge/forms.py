from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.knowledge.extraction import ACCEPTED

ALL_ASSISTANTS = ""
# The contract's limits: a title of 300 characters, a Q&A answer in one 4,000-character chunk.
MAX_PAGE_CHARS = 200_000


class _ForAssistant(FlaskForm):
    # Choices are the business's assistants, set by the view; the service checks the value.
    coordinator_id = SelectField("Used by", choices=[SelectChoice(ALL_ASSISTANTS, "All assistants")], validate_choice=False,
                                 default=ALL_ASSISTANTS)

    def set_assistants(self, assistants) -> None:
        self.coordinator_id.choices = ([SelectChoice(ALL_ASSISTANTS, "All assistants")]
                                       + [SelectChoice(str(a.id), a.name) for a in assistants])


class DocumentForm(_ForAssistant):
    file = FileField("Document", description=f"{ACCEPTED}, up to 10 MB.")


class PageForm(_ForAssistant):
    title = StringField("Title", validators=[DataRequired("Give the page a title."), Length(max=300)])
    text = TextAreaField("Text", validators=[DataRequired("Write what the assistant should know."),
                                             Length(max=MAX_PAGE_CHARS)])


class QAForm(_ForAssistant):
    question = StringField("Question", validators=[DataRequired("Write the question a customer would ask."),
                                                   Length(max=300)])
    answer = TextAreaField("Answer", validators=[DataRequired("Write the answer."), Length(max=4000)])


class TestForm(FlaskForm):
    # Not "question": the Q&A form on the same page has a field of that name (and id).
    ask = StringField("Ask a question as a customer would",
                           validators=[DataRequired("Type a question."), Length(max=1000)])
    coordinator_id = SelectField("Assistant", choices=[], validate_choice=False)

    def set_assistants(self, assistants) -> None:
        self.coordinator_id.choices = [SelectChoice(str(a.id), a.name) for a in assistants]


class ConfirmForm(FlaskForm):
    """CSRF only, for buttons."""
