/// A 1-based line and column as an editor shows them, from a position libyaml reported.
/// libyaml reads YAML 1.1, where NEL, LS and PS (U+0085, U+2028, U+2029) also end a line, and at
/// the end of a file without a final line break it moves to the start of a line that does not
/// exist; either would send `config check` (and an editor jumping to its output) to a wrong
/// line, one past the end of the file at worst. Editors end lines only at `\n`, `\r\n` and `\r`.
package struct SourcePosition: Sendable, Equatable {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `yamlLine` and `yamlColumn` are 1-based (Yams' `Mark`), columns counted in Unicode scalars
    /// as libyaml counts them. A position past the end of its line or of the text becomes the
    /// end of that line or of the text.
    package init(yamlLine: Int, yamlColumn: Int, in text: String) {
        var yaml = (line: 1, column: 1)
        var editor = (line: 1, column: 1)
        var scalars = text.unicodeScalars[...]
        // libyaml skips a byte order mark without counting it; editors do not show one either.
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        while let scalar = scalars.first, yaml.line < yamlLine || (yaml.line == yamlLine && yaml.column < yamlColumn) {
            let endsEditorLine = scalar == "\r" || scalar == "\n"
            guard endsEditorLine || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}" else {
                yaml.column += 1
                editor.column += 1
                scalars = scalars.dropFirst()
                continue
            }
            // The wanted column lies past the end of its line: that end it is.
            if yaml.line == yamlLine { break }
            scalars = scalars.dropFirst()
            if scalar == "\r", scalars.first == "\n" { scalars = scalars.dropFirst() }
            yaml = (yaml.line + 1, 1)
            editor = endsEditorLine ? (editor.line + 1, 1) : (editor.line, editor.column + 1)
        }
        self.init(line: editor.line, column: editor.column)
    }
}
