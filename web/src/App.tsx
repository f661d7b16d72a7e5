import { lazy, type ComponentType } from "react";
import { Route, Routes } from "react-router-dom";
import { Shell } from "./shell/Shell";
import { NotFoundPage } from "./pages/NotFoundPage";

/** A page loaded on first visit (keeps the editor's CodeMirror and xyflow out of the first load). */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const DashboardPage = page(() => import("./pages/DashboardPage"), "DashboardPage");
const GeneratorPage = page(() => import("./pages/GeneratorPage"), "GeneratorPage");
const ReviewPage = page(() => import("./pages/ReviewPage"), "ReviewPage");
const DatasetsPage = page(() => import("./pages/DatasetsPage"), "DatasetsPage");
const PluginsPage = page(() => import("./pages/PluginsPage"), "PluginsPage");
const SettingsPage = page(() => import("./pages/SettingsPage"), "SettingsPage");
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
