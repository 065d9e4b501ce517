"""What the server-rendered pages share (intake's self-referral form, the staff workspace): the page layout,
the error summary, our small stylesheet, and where NHS.UK frontend's compiled stylesheet is found."""
