import { lazy, type ComponentType } from "react";
import { Route, Routes } from "react-router-dom";
import { Shell } from "./shell/Shell";
import { NotFoundPage } from "./shell/NotFoundPage";

/** A page loaded on first visit (keeps the editor's CodeMirror and xyflow out of the first load). */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const DashboardPage = page(() => import("./dashboard/DashboardPage"), "DashboardPage");
const GeneratorPage = page(() => import("./generator/GeneratorPage"), "GeneratorPage");
const ReviewPage = page(() => import("./review/ReviewPage"), "ReviewPage");
const DatasetsPage = page(() => import("./datasets/DatasetsPage"), "DatasetsPage");
const PluginsPage = page(() => import("./plugins/PluginsPage"), "PluginsPage");
const SettingsPage = page(() => import("./settings/SettingsPage"), "SettingsPage");
const PipelinesPage = page(() => import("./pipelines/PipelinesPage"), "PipelinesPage");
const EditorPage = page(() => import("./pipelines/EditorPage"), "EditorPage");

/** The routes, inside the shell (header, navigation, job indicator, theme). */
export function App() {
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<DashboardPage />} />
        <Route path="pipelines" element={<PipelinesPage />} />
        <Route path="pipelines/new" element={<EditorPage />} />
        <Route path="pipelines/:id" element={<EditorPage />} />
        <Route path="generator" element={<GeneratorPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="datasets" element={<DatasetsPage />} />
        <Route path="plugins" element={<PluginsPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
