"""Official documents (公文, GB/T 9704-2012): the document as data (`model`), rendered as DOCX
(`docx`), HTML for the browser preview (`html`) and PDF through LibreOffice (`pdf`); numbered,
signed and stored by `service`."""
